package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * One kernel of a {@link CudaModule}, and the launch helper: arguments are given in the kernel's parameter
 * order as Java values, boxed into the {@code void*[]} that {@code cuLaunchKernel} wants.
 * Integer arguments are {@code int}, device pointers {@code long} (a CUdeviceptr), scalars {@code float}.
 */
public final class Kernel {
    private final String name;
    private final MemorySegment handle;

    Kernel(String name, MemorySegment handle) {
        this.name = name;
        this.handle = handle;
    }

    public String name() { return name; }

    /** A 3-D launch extent. */
    public record Dim3(int x, int y, int z) {
        public Dim3 {
            if (x <= 0 || y <= 0 || z <= 0) throw new IllegalArgumentException("launch dimensions must be positive: " + x + "x" + y + "x" + z);
        }

        public static Dim3 of(int x) { return new Dim3(x, 1, 1); }
        public static Dim3 of(int x, int y) { return new Dim3(x, y, 1); }
    }

    /** Launches on {@code stream}; args are Integer, Long (device pointer or 64-bit int) or Float. */
    public void launch(Dim3 grid, Dim3 block, int sharedBytes, CudaStream stream, Object... args) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(ValueLayout.ADDRESS, Math.max(1, args.length));
            for (int i = 0; i < args.length; i++) {
                params.setAtIndex(ValueLayout.ADDRESS, i, box(arena, args[i], i));
            }
            Cuda.check(cuda_h.cuLaunchKernel(handle, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(),
                    sharedBytes, stream.handle(), params, MemorySegment.NULL), "cuLaunchKernel(" + name + ")");
        }
    }

    /** The kinds of the arguments, as the launch would pass them (for tests and error messages). */
    public static List<String> argumentKinds(Object... args) {
        List<String> kinds = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            kinds.add(switch (args[i]) {
                case Integer ignored -> "int";
                case Long ignored -> "u64";
                case Float ignored -> "float";
                case null, default -> throw badArgument(args[i], i);
            });
        }
        return kinds;
    }

    private MemorySegment box(Arena arena, Object arg, int index) {
        return switch (arg) {
            case Integer v -> arena.allocateFrom(ValueLayout.JAVA_INT, v);
            case Long v -> arena.allocateFrom(ValueLayout.JAVA_LONG, v);
            case Float v -> arena.allocateFrom(ValueLayout.JAVA_FLOAT, v);
            case null, default -> throw badArgument(arg, index);
        };
    }

    private static IllegalArgumentException badArgument(Object arg, int index) {
        return new IllegalArgumentException("kernel argument " + index + " must be Integer, Long or Float, got "
                + (arg == null ? "null" : arg.getClass().getSimpleName()));
    }
}
