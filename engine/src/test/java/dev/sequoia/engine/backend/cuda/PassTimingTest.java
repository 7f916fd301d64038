package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.model.Model;
import dev.sequoia.offload.device.StreamPlan;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The device-timed pass: one stall timer per streamed layer, stalls within the pass, none when resident. */
class PassTimingTest {
    @Test
    void aStreamedPassTimesOneWaitPerStreamedLayerAndItsStallsFitInThePass() {
        CudaTestSupport.requireCudaBackend();
        try (Arena arena = Arena.ofConfined(); CudaContext ctx = CudaContext.open(0)) {
            Model m = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            long[] bytes = CudaTransformerTest.layerBytes(m);
            StreamPlan streamed = StreamPlan.fit(bytes, 3 * bytes[0], 2); // one resident, four streamed
            PassTiming t = timeTwoPasses(ctx, m, streamed);
            assertEquals(streamed.streamedLayers().size(), t.waits());
            assertTrue(t.passSeconds() > 0, "pass time " + t);
            assertTrue(t.stallSeconds() >= 0 && t.stallSeconds() <= t.passSeconds(), "stall outside the pass: " + t);

            PassTiming resident = timeTwoPasses(ctx, m, StreamPlan.fit(bytes, Long.MAX_VALUE, 2));
            assertEquals(0, resident.waits());
            assertEquals(0.0, resident.stallSeconds());
        }
    }

    /** The second of two passes: the timers are reused, and a count from the first pass must not leak in. */
    private static PassTiming timeTwoPasses(CudaContext ctx, Model m, StreamPlan plan) {
        try (CudaWeights w = CudaWeights.fromModel(ctx, m.config(), m.weights(), plan);
             CudaTransformer gpu = new CudaTransformer(ctx, w, 16, 4)) {
            int[] chain = {-1, 0, 1};
            gpu.forward(new int[]{1, 403, 407}, chain);
            gpu.keep(new int[0]);
            gpu.forward(new int[]{1, 403, 407}, chain);
            return gpu.lastPassTiming();
        }
    }
}
