package dev.sequoia.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The probe that stands between the project and the generated bindings ({@code dev.sequoia.cuda.ffi}).
 *
 * <p>A jextract header class opens its library in its static initialiser
 * ({@code SymbolLookup.libraryLookup("libcuda.so.1", ...)}); on a machine without that library the first touch of
 * the class throws {@link ExceptionInInitializerError} and the class is unusable for the life of the JVM. So
 * nothing in the project touches a generated class before {@link #isLoadable()} said yes. The probe opens the
 * library the way the user asked ({@code $SEQUOIA_LIBCUDA} / {@code $SEQUOIA_LIBCUBLAS}: exactly that file), else
 * by the name the generated class uses, else from a few standard folders, keeping it loaded for the life of the
 * process; then it opens the generated class's name ({@link #boundName()}) exactly as the generated initialiser
 * will. The dynamic loader answers that second open with the library already loaded when its soname matches,
 * so a library found through the variable or a folder serves the generated class too, and a mismatch (a
 * {@code libcublas.so.12} where the bindings want {@code .so.13}) is reported here instead of failing later.
 *
 * <p>Owner: the global arena, on purpose: a driver library stays mapped for the life of the process.
 * Threading: the outcome is computed once under a lock and cached; nothing here throws.
 */
public final class NativeLibrary {
    /** The CUDA driver, bound by {@code dev.sequoia.cuda.ffi.cuda_h} (installed with the driver, not the toolkit). */
    public static final NativeLibrary CUDA_DRIVER = new NativeLibrary("CUDA driver", "SEQUOIA_LIBCUDA",
            "libcuda.so.1", List.of("libcuda.so.1", "libcuda.so"), List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64",
                    "/usr/local/nvidia/lib64", "/usr/local/cuda/compat", "/usr/lib/wsl/lib"));

    /** cuBLAS, bound by {@code dev.sequoia.cuda.ffi.cublas_api_h}; the {@code nvidia-cublas} wheel: set the variable. */
    public static final NativeLibrary CUBLAS = new NativeLibrary("cuBLAS", "SEQUOIA_LIBCUBLAS",
            "libcublas.so.13", List.of("libcublas.so.13"), List.of("/usr/local/cuda/lib64",
                    "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu"));

    private final String what;
    private final String envVariable;
    private final String boundName;
    private final List<String> names;
    private final List<String> folders;
    private volatile Outcome outcome;

    private record Outcome(String from, String failure) {
        boolean loaded() { return failure == null; }
    }

    private NativeLibrary(String what, String envVariable, String boundName, List<String> names, List<String> folders) {
        this.what = what;
        this.envVariable = envVariable;
        this.boundName = boundName;
        this.names = names;
        this.folders = folders;
    }

    /** The name the generated class opens ({@code --library :NAME} in {@code native-bindings/jextract/headers.txt}). */
    public String boundName() {
        return boundName;
    }

    /** The environment variable that names the library file explicitly. */
    public String environmentVariable() {
        return envVariable;
    }

    /**
     * True when the generated class's static initialiser will find its library (opening it now if this is the
     * first question). Never throws. Only after true may a generated class be touched.
     */
    public boolean isLoadable() {
        return outcome().loaded();
    }

    /** Where the library was opened from, or why it could not be. */
    public String describe() {
        Outcome o = outcome();
        return o.loaded() ? what + " from " + o.from : what + " not loadable: " + o.failure;
    }

    private Outcome outcome() {
        Outcome o = outcome;
        if (o == null) {
            synchronized (this) {
                o = outcome;
                if (o == null) outcome = o = open();
            }
        }
        return o;
    }

    private Outcome open() {
        String explicit = System.getenv(envVariable);
        List<String> tries = new ArrayList<>();
        if (explicit != null && !explicit.isBlank()) {
            tries.add(explicit); // the user named the file: that one or nothing
        } else {
            tries.addAll(names);
            for (String folder : folders) {
                for (String name : names) {
                    Path p = Path.of(folder, name);
                    if (Files.exists(p)) tries.add(p.toString());
                }
            }
        }
        List<String> failures = new ArrayList<>();
        for (String t : tries) {
            String failure = tryOpen(t);
            if (failure == null) {
                String bound = tryOpen(boundName);
                if (bound == null) return new Outcome(t, null);
                return new Outcome(null, "opened " + t + ", but the bindings open '" + boundName
                        + "' by name and the loader cannot resolve it to that file (" + bound + "); its soname must be "
                        + boundName);
            }
            failures.add(t + " (" + failure + ")");
        }
        String hint = explicit != null && !explicit.isBlank() ? "" : "; set " + envVariable
                + " to the library's path if it is installed elsewhere";
        return new Outcome(null, "tried " + String.join(", ", failures) + hint);
    }

    private static String tryOpen(String nameOrPath) {
        try {
            SymbolLookup.libraryLookup(nameOrPath, Arena.global());
            return null;
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return e.getMessage();
        }
    }
}
