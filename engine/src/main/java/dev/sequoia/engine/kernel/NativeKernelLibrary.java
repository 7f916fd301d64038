package dev.sequoia.engine.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A C kernel source (a resource beside this class) compiled on first use with the system C compiler for
 * this very CPU ({@code -march=native}) into {@code ~/.cache/sequoia/native/}, keyed by a hash of the source
 * and the CPU, loaded once per process (global arena) and bound to a kernel object. The source exports an
 * {@code int <level>(void)} that answers 0 when the CPU lacks the instructions it was written for; then, or
 * without a compiler, {@link #get} is empty and {@link #unavailableReason} says why.
 *
 * @param <T> the kernel object built from the loaded symbols
 */
final class NativeKernelLibrary<T> {
    /** Builds the kernel object from the library's symbols. */
    @FunctionalInterface
    interface Binder<T> {
        T bind(SymbolLookup symbols) throws Throwable;
    }

    /** A header included with quotes: a resource beside the kernel source. */
    private static final Pattern LOCAL_INCLUDE = Pattern.compile("(?m)^#include \"([A-Za-z0-9_]+\\.h)\"");

    private final String source;
    private final String levelSymbol;
    private final String requiredFeature;
    private final Binder<T> binder;
    private Optional<T> loaded;
    private String unavailableReason = "not loaded yet";

    /**
     * @param source          the C resource's file name
     * @param levelSymbol     the exported function answering whether this CPU can run the kernels
     * @param requiredFeature what a CPU answering 0 lacks, for the reason message
     */
    NativeKernelLibrary(String source, String levelSymbol, String requiredFeature, Binder<T> binder) {
        this.source = source;
        this.levelSymbol = levelSymbol;
        this.requiredFeature = requiredFeature;
        this.binder = binder;
    }

    /** The kernels, compiled and loaded on the first call; empty where they cannot run here. */
    synchronized Optional<T> get() {
        if (loaded == null) loaded = tryLoad();
        return loaded;
    }

    /** Why {@link #get} is empty (for logs and benchmark reports). */
    synchronized String unavailableReason() {
        return unavailableReason;
    }

    /** A critical downcall (Java arrays pass without copying) to {@code name}. */
    static MethodHandle criticalDowncall(SymbolLookup symbols, String name, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(symbols.find(name).orElseThrow(), descriptor,
                Linker.Option.critical(true));
    }

    private Optional<T> tryLoad() {
        try {
            SymbolLookup symbols = SymbolLookup.libraryLookup(compile(source), Arena.global());
            MethodHandle level = Linker.nativeLinker().downcallHandle(symbols.find(levelSymbol).orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
            if ((int) level.invokeExact() == 0) {
                unavailableReason = "compiled without " + requiredFeature + " on this CPU";
                return Optional.empty();
            }
            T kernels = binder.bind(symbols);
            unavailableReason = null;
            return Optional.of(kernels);
        } catch (Throwable t) {
            unavailableReason = String.valueOf(t.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Compiles the C resource {@code name} into the cache unless an identical build is there; returns the library.
     * Headers it includes with quotes ({@code #include "sequoia_avx512.h"}) are resources beside it too; they are
     * part of the build's key.
     */
    static Path compile(String name) throws IOException, InterruptedException, NoSuchAlgorithmException {
        byte[] source = resource(name);
        Map<String, byte[]> headers = new TreeMap<>();
        Matcher include = LOCAL_INCLUDE.matcher(new String(source, StandardCharsets.UTF_8));
        while (include.find()) headers.put(include.group(1), resource(include.group(1)));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(source);
        headers.forEach((header, bytes) -> {
            sha.update(header.getBytes(StandardCharsets.UTF_8));
            sha.update(bytes);
        });
        sha.update(cpuIdentity().getBytes());
        String key = HexFormat.of().formatHex(sha.digest(), 0, 8);
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "sequoia", "native");
        String stem = name.substring(0, name.length() - ".c".length());
        Path lib = dir.resolve(stem + "-" + key + ".so");
        if (Files.isRegularFile(lib)) return lib;
        Files.createDirectories(dir);
        Path build = Files.createTempDirectory(dir, stem);
        Path src = build.resolve(name);
        Path tmp = Files.createTempFile(dir, stem, ".so.partial");
        try {
            Files.write(src, source);
            for (var h : headers.entrySet()) Files.write(build.resolve(h.getKey()), h.getValue());
            Process cc = new ProcessBuilder("cc", "-O3", "-march=native", "-fPIC", "-shared", "-o", tmp.toString(),
                    src.toString()).redirectErrorStream(true).start();
            String log = new String(cc.getInputStream().readAllBytes());
            if (!cc.waitFor(120, TimeUnit.SECONDS) || cc.exitValue() != 0) {
                throw new IOException("cc failed on " + name + ": " + log.strip());
            }
            Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return lib;
        } finally {
            for (String h : headers.keySet()) Files.deleteIfExists(build.resolve(h));
            Files.deleteIfExists(src);
            Files.deleteIfExists(build);
            Files.deleteIfExists(tmp);
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = NativeKernelLibrary.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("resource " + name + " is missing from the class path");
            return in.readAllBytes();
        }
    }

    /** The CPU model and flags, so that a library built for one CPU is never loaded on another. */
    private static String cpuIdentity() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name") || l.startsWith("flags")).distinct()
                    .reduce("", String::concat);
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }
}
