package dev.sequoia.engine.cli;

import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A machine without a CUDA driver runs the CPU backend, and nothing on that path initialises a generated CUDA
 * binding class (which would open {@code libcuda.so.1} in its static initialiser and fail). A fresh JVM runs
 * {@code generate --backend auto} with the driver made unloadable ({@code SEQUOIA_LIBCUDA} naming a missing file,
 * so this holds on a GPU machine too) and its class-initialisation log is read.
 */
class NoDriverGenerateTest {
    @Test
    void generateWithBackendAutoRunsOnTheCpuWithoutTouchingTheGeneratedBindings() throws Exception {
        Path log = Files.createTempFile("class-init", ".log");
        try {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            ProcessBuilder pb = new ProcessBuilder(java.toString(), "-Xmx512m", "--add-modules", "jdk.incubator.vector",
                    "--enable-native-access=ALL-UNNAMED", "-Xlog:class+init=info:file=" + log,
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                    "generate", "--model", Fixtures.targetGguf().toString(), "--backend", "auto", "-n", "8",
                    "--threads", "1", "--json").redirectErrorStream(true);
            pb.environment().put("SEQUOIA_LIBCUDA", "/nonexistent/libcuda.so.1");
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "generate did not finish: " + output);
            assertEquals(0, p.exitValue(), output);
            assertTrue(output.contains("\"tokens\"") || output.contains("tokens"), output);
            List<String> initialised = Files.readAllLines(log).stream().filter(l -> l.contains("Initializing '")).toList();
            assertTrue(initialised.stream().anyMatch(l -> l.contains("'dev/sequoia/cuda/Cuda'")),
                    "backend auto asked the safe layer (else this log does not show what the test reads)");
            assertFalse(initialised.stream().anyMatch(l -> l.contains("dev/sequoia/cuda/ffi/")),
                    "a generated binding class was initialised without a driver: "
                            + initialised.stream().filter(l -> l.contains("dev/sequoia/cuda/ffi/")).toList());
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
