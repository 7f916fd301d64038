package dev.sequoia.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generated classes open their library in their static initialisers, so the safe layer must not initialise
 * one before the driver probe succeeded. A fresh JVM with the driver made unloadable ({@code SEQUOIA_LIBCUDA} and
 * {@code SEQUOIA_LIBCUBLAS} naming files that do not exist, which works on a GPU machine too) runs every entry
 * point a CPU-only run reaches ({@link NoDriverMain}); the JVM's class-initialisation log must show the safe
 * layer initialised and no class of {@code dev.sequoia.cuda.ffi}.
 */
class DriverGateTest {
    @Test
    void withoutADriverNoGeneratedClassIsInitialised() throws Exception {
        Run run = runWithoutDriver(NoDriverMain.class.getName());
        assertEquals(0, run.exit, "the no-driver entry points must not fail:\n" + run.output);
        assertTrue(run.output.contains(NoDriverMain.DONE), run.output);
        assertTrue(run.initialised.stream().anyMatch(c -> c.equals("dev/sequoia/cuda/Cuda")),
                "the log must show the safe layer (else it does not log what this test reads)");
        List<String> generated = run.initialised.stream().filter(c -> c.startsWith("dev/sequoia/cuda/ffi/")).toList();
        assertEquals(List.of(), generated, "generated classes initialised before the driver probe succeeded");
    }

    /** The result of a child JVM: exit code, its output, and the classes it initialised (internal names). */
    record Run(int exit, String output, List<String> initialised) {}

    /** Runs {@code mainClass} of this classpath in a fresh JVM with both CUDA libraries made unloadable. */
    public static Run runWithoutDriver(String mainClass, String... args) throws IOException, InterruptedException {
        Path log = Files.createTempFile("class-init", ".log");
        try {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            List<String> command = new java.util.ArrayList<>(List.of(java.toString(), "-Xmx256m",
                    "-Xlog:class+init=info:file=" + log, "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), mainClass));
            command.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("SEQUOIA_LIBCUDA", "/nonexistent/libcuda.so.1");
            pb.environment().put("SEQUOIA_LIBCUBLAS", "/nonexistent/libcublas.so.13");
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("child JVM did not finish: " + output);
            }
            List<String> initialised = Files.readAllLines(log).stream()
                    .filter(l -> l.contains("Initializing '"))
                    .map(l -> l.substring(l.indexOf("Initializing '") + 14, l.indexOf('\'', l.indexOf("Initializing '") + 14)))
                    .toList();
            return new Run(p.exitValue(), output, initialised);
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
