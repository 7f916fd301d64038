package dev.sequoia.offload.io;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The four libc calls direct I/O needs ({@code open}, {@code pread}, {@code close}, {@code strerror}),
 * bound once through the FFM native linker. Each call that can fail captures {@code errno} into a small
 * per-call segment, so the bindings are safe to use from any number of threads.
 *
 * <p>Linux only: {@code O_DIRECT}'s value differs between architectures and is chosen from {@code os.arch}.
 */
final class Posix {
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    /** {@code O_DIRECT}: 040000 on x86-64, 0200000 on arm64/aarch64. */
    static final int O_DIRECT = System.getProperty("os.arch", "").contains("aarch64") ? 0x10000 : 0x4000;
    static final int EINTR = 4;
    static final int EINVAL = 22;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option SAVE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = bind("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true);
    private static final MethodHandle PREAD =
            bind("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), true);
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), true);
    private static final MethodHandle STRERROR = bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT), false);

    private Posix() {}

    /** A call's result and the errno it left (meaningful only when the result is negative). */
    record Result(long value, int errno) {
        boolean failed() { return value < 0; }
    }

    static Result open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), flags);
            return new Result(fd, errno(state));
        } catch (Throwable t) {
            throw linkageFailure("open", t);
        }
    }

    /** One {@code pread} of {@code count} bytes at file offset {@code offset} into {@code dst}. */
    static Result pread(int fd, MemorySegment dst, long count, long offset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            long n = (long) PREAD.invokeExact(state, fd, dst, count, offset);
            return new Result(n, errno(state));
        } catch (Throwable t) {
            throw linkageFailure("pread", t);
        }
    }

    static Result close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int rc = (int) CLOSE.invokeExact(state, fd);
            return new Result(rc, errno(state));
        } catch (Throwable t) {
            throw linkageFailure("close", t);
        }
    }

    /** The C library's text for an errno value, e.g. "Invalid argument (errno 22)". */
    static String describe(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(1024).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static MethodHandle bind(String name, FunctionDescriptor fd, boolean captureErrno) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(
                () -> new UnsupportedOperationException("libc symbol '" + name + "' not found: direct I/O needs Linux"));
        return captureErrno ? LINKER.downcallHandle(symbol, fd, SAVE_ERRNO) : LINKER.downcallHandle(symbol, fd);
    }

    private static IllegalStateException linkageFailure(String call, Throwable t) {
        return new IllegalStateException("native call " + call + " failed to run: " + t, t);
    }
}
