package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

/**
 * A loaded code image (fatbin, cubin or PTX via {@code cuModuleLoadData}) and the kernels found in it.
 * Kernels are looked up once and cached; they are valid until {@link #close()} unloads the module.
 */
public final class CudaModule implements AutoCloseable {
    private final MemorySegment handle;
    private final String what;
    private final Map<String, Kernel> kernels = new HashMap<>();
    private boolean closed;

    private CudaModule(MemorySegment handle, String what) {
        this.handle = handle;
        this.what = what;
    }

    static CudaModule load(byte[] image, String what) {
        if (image.length == 0) throw new IllegalArgumentException("empty CUDA module image: " + what);
        try (Arena arena = Arena.ofConfined()) {
            // PTX must be NUL-terminated; a fatbin does not care about the extra byte.
            MemorySegment img = arena.allocate(image.length + 1L, 16);
            MemorySegment.copy(image, 0, img, ValueLayout.JAVA_BYTE, 0, image.length);
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            Cuda.check(cuda_h.cuModuleLoadData(p, img), "cuModuleLoadData(" + what + ", " + image.length + " bytes)");
            return new CudaModule(p.get(ValueLayout.ADDRESS, 0), what);
        }
    }

    /** The kernel named {@code name} (an {@code extern "C"} symbol). */
    public Kernel kernel(String name) {
        if (closed) throw new IllegalStateException("CUDA module " + what + " is unloaded");
        return kernels.computeIfAbsent(name, n -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
                Cuda.check(cuda_h.cuModuleGetFunction(p, handle, arena.allocateFrom(n)),
                        "cuModuleGetFunction(" + n + " in " + what + ")");
                return new Kernel(n, p.get(ValueLayout.ADDRESS, 0));
            }
        });
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        kernels.clear();
        Cuda.check(cuda_h.cuModuleUnload(handle), "cuModuleUnload(" + what + ")");
    }
}
