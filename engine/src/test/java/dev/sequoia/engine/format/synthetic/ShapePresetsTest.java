package dev.sequoia.engine.format.synthetic;

import dev.sequoia.engine.model.LlamaConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The presets in configs/models carry the real models' dimensions. */
class ShapePresetsTest {
    /** Parameters of the projections, embedding and classifier (norms are negligible). */
    private static long params(LlamaConfig c) {
        long perLayer = 2L * c.dim() * c.dim() + 2L * c.kvDim() * c.dim() + 3L * c.hiddenDim() * c.dim();
        return c.layers() * perLayer + 2L * c.vocabSize() * c.dim();
    }

    @Test
    void realShapesHaveTheirPublishedSizes() {
        assertEquals(1.10e9, params(ShapePresets.load("tinyllama-1.1b")), 0.01e9);
        assertEquals(6.74e9, params(ShapePresets.load("llama2-7b")), 0.01e9);
        assertEquals(68.98e9, params(ShapePresets.load("llama2-70b")), 0.05e9);
        LlamaConfig l70 = ShapePresets.load("llama2-70b");
        assertEquals(8, l70.kvHeads());
        assertEquals(128, l70.headDim());
        assertNotNull(ShapePresets.load("llama3.1-8b").ropeScaling());
    }

    @Test
    void tinyShapesFitTheQuantizedBlocks() {
        for (String name : new String[]{"tiny-test", "tiny-demo"}) {
            LlamaConfig c = ShapePresets.load(name);
            assertEquals(0, c.dim() % 32, name);
            assertEquals(0, c.hiddenDim() % 32, name);
            assertTrue(c.vocabSize() >= SyntheticVocabulary.MIN_SIZE, name);
        }
    }

    @Test
    void unknownShapeIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> ShapePresets.load("llama9-1t"));
        assertTrue(e.getMessage().contains("llama9-1t"), e.getMessage());
    }
}
