package dev.sequoia.experiments.output;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One line naming the machine a run measured: CPU model, cores, memory for the JVM, OS and Java. */
public final class Machine {
    private Machine() {}

    public static String describe() {
        Runtime rt = Runtime.getRuntime();
        return String.format(java.util.Locale.ROOT, "%s, %d cores visible to the JVM, max heap %.1f GiB, %s %s (%s), Java %s",
                cpuModel(), rt.availableProcessors(), rt.maxMemory() / (double) (1L << 30), System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"), Runtime.version());
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
        } catch (IOException | RuntimeException e) {
            return "unknown CPU";
        }
    }
}
