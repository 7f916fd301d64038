package dev.sequoia.cuda.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One native library opened on first use. It tries an explicit path from an environment variable, then each
 * candidate name through the system loader ({@code dlopen} search path), then each candidate folder. The
 * outcome, success or the reasons of every failed try, is computed once and cached; nothing here throws until
 * a symbol is actually asked for.
 *
 * <p>Owner: the global arena, on purpose: a driver library stays mapped for the life of the process.
 * Threading: the lazy holder makes the one-time open thread-safe.
 */
public final class NativeLibrary {
    /** The CUDA driver: {@code libcuda.so.1} (installed with the NVIDIA driver, not with the toolkit). */
    public static final NativeLibrary CUDA_DRIVER = new NativeLibrary("CUDA driver", "SEQUOIA_LIBCUDA",
            List.of("libcuda.so.1", "libcuda.so"), List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64",
                    "/usr/local/nvidia/lib64", "/usr/local/cuda/compat", "/usr/lib/wsl/lib"));

    /** cuBLAS: a system install, the toolkit, or the {@code nvidia-cublas} Python wheel (set the variable). */
    public static final NativeLibrary CUBLAS = new NativeLibrary("cuBLAS", "SEQUOIA_LIBCUBLAS",
            List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so"), List.of("/usr/local/cuda/lib64",
                    "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu"));

    private final String what;
    private final String envVariable;
    private final List<String> names;
    private final List<String> folders;
    private volatile Opened opened;

    private record Opened(SymbolLookup lookup, String from, String failure) {}

    private NativeLibrary(String what, String envVariable, List<String> names, List<String> folders) {
        this.what = what;
        this.envVariable = envVariable;
        this.names = names;
        this.folders = folders;
    }

    /** True when the library opened (opening it now if this is the first question). Never throws. */
    public boolean isLoadable() {
        return open().lookup != null;
    }

    /** Where the library was opened from, or why it could not be. */
    public String describe() {
        Opened o = open();
        return o.lookup != null ? what + " from " + o.from : what + " not loadable: " + o.failure;
    }

    /** The address of {@code symbol}; throws {@link UnsatisfiedLinkError} naming the library and the reason. */
    public MemorySegment findOrThrow(String symbol) {
        Opened o = open();
        if (o.lookup == null) {
            throw new UnsatisfiedLinkError("cannot call " + symbol + ": " + what + " not loadable: " + o.failure);
        }
        return o.lookup.find(symbol).orElseThrow(() -> new UnsatisfiedLinkError(
                "symbol " + symbol + " not found in " + o.from + " (driver or library too old?)"));
    }

    private Opened open() {
        Opened o = opened;
        if (o == null) {
            synchronized (this) {
                o = opened;
                if (o == null) opened = o = tryOpen();
            }
        }
        return o;
    }

    private Opened tryOpen() {
        List<String> tries = new ArrayList<>();
        String explicit = System.getenv(envVariable);
        if (explicit != null && !explicit.isBlank()) tries.add(explicit);
        tries.addAll(names);
        for (String folder : folders) {
            for (String name : names) {
                Path p = Path.of(folder, name);
                if (Files.exists(p)) tries.add(p.toString());
            }
        }
        List<String> failures = new ArrayList<>();
        for (String t : tries) {
            try {
                return new Opened(SymbolLookup.libraryLookup(t, Arena.global()), t, null);
            } catch (IllegalArgumentException | IllegalCallerException e) {
                failures.add(t + " (" + e.getMessage() + ")");
            }
        }
        return new Opened(null, null, "tried " + String.join(", ", failures)
                + "; set " + envVariable + " to the library's path if it is installed elsewhere");
    }
}
