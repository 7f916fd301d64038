package dev.sequoia.engine.format.synthetic;

import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loading maps and never scans: a llama2-7b-shaped F16 GGUF (13.5 GB, sparse on disk) loads in well under a
 * second of CPU time. The file's structure is real (32000-piece vocabulary, 291 tensors); its data pages are
 * holes, which only matters if the loader read them, and it must not.
 */
class LoadCostTest {
    @TempDir
    Path dir;

    @Test
    void aThirteenGigabyteModelLoadsInWellUnderASecondOfCpu() throws IOException {
        Path file = dir.resolve("llama2-7b-f16.gguf");
        SyntheticModels.ofPreset("llama2-7b", TensorType.F16, 1).writeGgufLayoutOnly(file);
        assertTrue(Files.size(file) > 13_000_000_000L, "size " + Files.size(file));
        var bean = ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined()) {
            ModelLoader.load(file, null, arena); // warm-up: class loading and JIT are not the loader's cost
        }
        long cpu0 = bean.getCurrentThreadCpuTime();
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(file, null, arena);
            assertEquals(32, m.config().layers());
            assertEquals(32000, m.tokenizer().vocabSize());
        }
        double seconds = (bean.getCurrentThreadCpuTime() - cpu0) / 1e9;
        System.out.printf("LoadCostTest: %.1f GB llama2-7b F16 GGUF loaded in %.3f s CPU%n", Files.size(file) / 1e9, seconds);
        assertTrue(seconds < 0.5, "load took " + seconds + " s of CPU time");
    }
}
