package dev.sequoia.engine.api;

import dev.sequoia.engine.format.synthetic.SyntheticCache;
import dev.sequoia.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The opt-in int8 activation path in the engine: speculative decoding with it is token for token its own
 * greedy decoding (verification and plain decoding compute the same per-token logits, whatever the batch),
 * and its verification profiles are cached apart from the fp32 path's.
 */
class Int8EngineTest {
    @TempDir
    static Path dir;

    @Test
    void int8SpeculativeDecodingIsInt8GreedyDecoding() {
        Path model = SyntheticCache.gguf(dir, "tiny-test", TensorType.Q8_0, 3);
        ModelSpec spec = ModelSpec.of(model);
        EngineConfig plain = EngineConfig.builder(spec).threads(2).int8Activations(true).build();
        // the model drafts for itself: every proposal on the greedy path is accepted, so steps carry many tokens
        EngineConfig speculative = plain.toBuilder().draft(spec).tree("4x3").build();
        GenerationResult want, got;
        try (Engine e = Engine.open(plain); Session s = e.openSession()) {
            assertTrue(e.profileConfiguration().endsWith("-int8v2"), e.profileConfiguration());
            // the report warns exactly when the VNNI kernels cannot run here
            boolean vnni;
            try (dev.sequoia.engine.kernel.Int8ActivationMatMul probe = new dev.sequoia.engine.kernel.Int8ActivationMatMul(1)) {
                vnni = probe.nativeUnavailableReason() == null;
            }
            assertEquals(!vnni, e.offloadReport().stream().anyMatch(l -> l.contains("drop --int8")), e.offloadReport().toString());
            want = s.generate(GenerateRequest.greedy("Once upon a time", 40));
        }
        try (Engine e = Engine.open(speculative); Session s = e.openSession()) {
            got = s.generate(GenerateRequest.greedy("Once upon a time", 40));
        }
        assertArrayEquals(want.tokens(), got.tokens());
        assertEquals(want.text(), got.text());
        assertTrue(got.stats().tokensPerStep() > 2, "tokens per step " + got.stats().tokensPerStep());
    }
}
