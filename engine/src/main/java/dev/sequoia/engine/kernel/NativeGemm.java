package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The native GEMM ({@code sequoia_gemm.c}, a resource beside this class) called through FFM: AVX-512 with
 * software prefetch, which the Vector API cannot express. The C source is compiled on first use with the
 * system C compiler for this very CPU ({@code -march=native}) into {@code ~/.cache/sequoia/native/}, keyed
 * by a hash of the source and the CPU; without a compiler, or on a CPU without AVX-512, {@link #load}
 * answers empty and the Java kernels run instead.
 *
 * <p>The library stays loaded for the life of the process (global arena): the kernels are stateless and
 * may be called from any thread at once. Activations and outputs are Java arrays passed without copying
 * (critical downcalls); weights are native segments.
 */
final class NativeGemm {
    private static final String SOURCE = "sequoia_gemm.c";
    private static final Object LOCK = new Object();
    private static Optional<NativeGemm> loaded;
    private static String unavailableReason = "not loaded yet";

    private final MethodHandle gemmRows;

    private NativeGemm(MethodHandle gemmRows) {
        this.gemmRows = gemmRows;
    }

    /** The native kernels, compiled and loaded once per process; empty where they cannot run here. */
    static Optional<NativeGemm> load() {
        synchronized (LOCK) {
            if (loaded == null) loaded = tryLoad();
            return loaded;
        }
    }

    /** Why {@link #load} is empty (for logs and benchmark reports). */
    static String unavailableReason() {
        synchronized (LOCK) {
            return unavailableReason;
        }
    }

    /** Whether {@link #gemmRows} handles this matrix. */
    static boolean supports(WeightMatrix w) {
        return w.cols() % 32 == 0 && w.type() != TensorType.Q4_0 && w.data().isNative();
    }

    /** W rows [r0, r1) @ x (n, cols)^T -> out[0..n, r0..r1); out has {@code w.rows()} columns. */
    void gemmRows(WeightMatrix w, float[] x, float[] out, int n, int r0, int r1) {
        int rc;
        try {
            rc = (int) gemmRows.invokeExact(w.type().ggmlId(), w.data(), w.rowBytes(), w.cols(), r0, r1,
                    MemorySegment.ofArray(x), n, MemorySegment.ofArray(out), w.rows());
        } catch (Throwable t) {
            throw new IllegalStateException("native gemm failed on " + w.name() + ": " + t, t);
        }
        if (rc != 0) {
            throw new IllegalArgumentException(w.name() + ": the native gemm does not handle " + w.type() + " with "
                    + w.cols() + " columns (supports() should have said so)");
        }
    }

    private static Optional<NativeGemm> tryLoad() {
        try {
            Path lib = compile(SOURCE);
            SymbolLookup symbols = SymbolLookup.libraryLookup(lib, Arena.global());
            Linker linker = Linker.nativeLinker();
            MethodHandle level = linker.downcallHandle(symbols.find("sq_native_level").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
            if ((int) level.invokeExact() == 0) {
                unavailableReason = "compiled without AVX-512 on this CPU";
                return Optional.empty();
            }
            MethodHandle gemm = linker.downcallHandle(symbols.find("sq_gemm_rows").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    Linker.Option.critical(true));
            unavailableReason = null;
            return Optional.of(new NativeGemm(gemm));
        } catch (Throwable t) {
            unavailableReason = t.getMessage();
            return Optional.empty();
        }
    }

    /**
     * Compiles the C resource {@code name} (beside this class) into the cache unless an identical build is
     * there; returns the library path. Also used by {@link NativeInt8Gemm} for its own source.
     */
    static Path compile(String name) throws IOException, InterruptedException, NoSuchAlgorithmException {
        byte[] source;
        try (InputStream in = NativeGemm.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("resource " + name + " is missing from the class path");
            source = in.readAllBytes();
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(source);
        sha.update(cpuIdentity().getBytes());
        String key = HexFormat.of().formatHex(sha.digest(), 0, 8);
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "sequoia", "native");
        String stem = name.substring(0, name.length() - ".c".length());
        Path lib = dir.resolve(stem + "-" + key + ".so");
        if (Files.isRegularFile(lib)) return lib;
        Files.createDirectories(dir);
        Path src = Files.createTempFile(dir, stem, ".c");
        Path tmp = Files.createTempFile(dir, stem, ".so.partial");
        try {
            Files.write(src, source);
            Process cc = new ProcessBuilder("cc", "-O3", "-march=native", "-fPIC", "-shared", "-o", tmp.toString(),
                    src.toString()).redirectErrorStream(true).start();
            String log = new String(cc.getInputStream().readAllBytes());
            if (!cc.waitFor(120, TimeUnit.SECONDS) || cc.exitValue() != 0) {
                throw new IOException("cc failed on " + name + ": " + log.strip());
            }
            Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return lib;
        } finally {
            Files.deleteIfExists(src);
            Files.deleteIfExists(tmp);
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
