package dev.sequoia.engine.speculative;

import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.optimize.VerificationTimes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code --tree auto} with a given measurement (the CUDA backend's GPU profiler): the profile is measured once per
 * configuration name, saved beside the pair's acceptance vectors, and read back by the next engine with the same
 * device, budget and plan without measuring; another configuration is measured on its own.
 */
class AutoTreeProfileCacheTest {
    @TempDir
    Path cacheRoot;

    @Test
    void aGivenMeasurementRunsOncePerConfigurationAndIsReadBackFromTheCache() {
        try (Arena arena = Arena.ofConfined()) {
            Model target = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            Model draft = ModelLoader.load(Fixtures.draft(), Fixtures.tokenizer(), arena);
            LlamaTransformer t = new LlamaTransformer(target, new ScalarMatMul());
            LlamaTransformer d = new LlamaTransformer(draft, new ScalarMatMul());
            PairProfiles profiles = new PairProfiles(cacheRoot, Fixtures.target(), Fixtures.draft());
            AtomicInteger measured = new AtomicInteger();
            Supplier<VerificationProfiler.Profile> gpu = () -> {
                measured.incrementAndGet();
                return new VerificationProfiler.Profile(VerificationTimes.parse("1=0.010,8=0.011,16=0.012,64=0.030"),
                        0.002, new TreeMap<>(Map.of(1, 0.0015, 8, 0.002, 32, 0.004)));
            };
            String h200 = "cuda-NVIDIA_H200-F16-budget51539607552-resident40of80-R3";
            AutoTree first = new AutoTree(t, LayerSource.resident(target.weights()), d, null, profiles, () -> h200, 0, 0, gpu);
            assertEquals(64, first.maxSize(), "the optimizer's largest budget comes from the measured t(n)");
            assertEquals(1, measured.get());
            assertEquals(64, first.maxSize());
            assertEquals(1, measured.get(), "held after the first measurement");

            AutoTree next = new AutoTree(t, LayerSource.resident(target.weights()), d, null, profiles, () -> h200, 0, 0, gpu);
            assertEquals(64, next.maxSize());
            assertEquals(1, measured.get(), "the next engine with the same device, budget and plan reads the cache");
            assertEquals(0.030, next.profile().times().at(64), 1e-12);
            assertEquals(0.004, next.profile().draftSeconds(32), 1e-12);

            AutoTree smaller = new AutoTree(t, LayerSource.resident(target.weights()), d, null, profiles,
                    () -> "cuda-NVIDIA_H200-F16-budget25769803776-resident12of80-R3", 0, 0, gpu);
            smaller.maxSize();
            assertEquals(2, measured.get(), "another budget is another configuration: measured on its own");

            AutoTree sized = new AutoTree(t, LayerSource.resident(target.weights()), d, null, profiles,
                    () -> { throw new AssertionError("a given size needs no configuration"); }, 32, 4, gpu);
            assertEquals(32, sized.maxSize());
            assertEquals(2, measured.get(), "a given tree size measures nothing");
        }
    }
}
