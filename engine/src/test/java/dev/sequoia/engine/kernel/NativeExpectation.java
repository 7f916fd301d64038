package dev.sequoia.engine.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the native AVX-512 kernels must load: an x86-64 Linux CPU with AVX-512F and a C compiler ({@code cc})
 * on the PATH. There a test of the native kernels fails, never quietly retests the Java ones.
 */
final class NativeExpectation {
    private NativeExpectation() {}

    static boolean nativeKernelsExpected() {
        return "amd64".equals(System.getProperty("os.arch")) && hasCompiler() && cpuHasAvx512();
    }

    static boolean hasCompiler() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "cc"))) return true;
        }
        return false;
    }

    static boolean cpuHasAvx512() { return cpuHas("avx512f"); }

    /** Where the int8 kernels must load: a C compiler and AVX-512 VNNI. */
    static boolean vnniKernelsExpected() { return hasCompiler() && cpuHas("avx512_vnni"); }

    private static boolean cpuHas(String flag) {
        Path info = Path.of("/proc/cpuinfo");
        try {
            return Files.isReadable(info) && Files.readString(info).contains(" " + flag);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
