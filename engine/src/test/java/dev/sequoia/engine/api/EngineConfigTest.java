package dev.sequoia.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sequoia.engine.backend.cuda.BackendChoice;
import dev.sequoia.engine.backend.offload.OffloadSettings;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** {@link EngineConfig.Builder}: its defaults, and one one-line error per bad parameter, naming it. */
class EngineConfigTest {
    private static final ModelSpec TARGET = new ModelSpec(Path.of("target.gguf"), null);
    private static final ModelSpec DRAFT = new ModelSpec(Path.of("draft.gguf"), null);

    @Test
    void defaultsArePlainDecodingOnTheCpuWithEveryCoreAndA64MiBPrefixCache() {
        EngineConfig c = EngineConfig.builder(TARGET).build();
        assertEquals(TARGET, c.target());
        assertNull(c.draft());
        assertEquals("none", c.tree());
        assertEquals(0, c.budget());
        assertEquals(0, c.depth());
        assertEquals(EngineConfig.defaultThreads(), c.threads());
        assertEquals(64L << 20, c.prefixCacheBytes());
        assertEquals(0, c.contextLength());
        assertEquals(OffloadSettings.NONE, c.offload());
        assertEquals(false, c.int8Activations());
        assertEquals(BackendChoice.CPU, c.backend());
    }

    @Test
    void aDraftWithoutATreeMeansAutoAndNullsMeanTheDefaults() {
        assertEquals("auto", EngineConfig.builder(TARGET).draft(DRAFT).build().tree());
        assertEquals("auto", EngineConfig.builder(TARGET).draft(DRAFT).tree(" ").build().tree());
        assertEquals("4x3", EngineConfig.builder(TARGET).draft(DRAFT).tree("4x3").build().tree());
        EngineConfig nulls = EngineConfig.builder(TARGET).offload(null).backend(null).build();
        assertEquals(OffloadSettings.NONE, nulls.offload());
        assertEquals(BackendChoice.CPU, nulls.backend());
    }

    @Test
    void toBuilderRoundTripsAndChangesOnlyWhatIsSet() {
        EngineConfig c = EngineConfig.builder(TARGET).draft(DRAFT).tree("chain:3").budget(8).depth(4).threads(3)
                .prefixCacheBytes(0).contextLength(100).offload(OffloadSettings.budget(1L << 20))
                .int8Activations(true).backend(BackendChoice.AUTO).build();
        assertEquals(c, c.toBuilder().build());
        assertEquals(c.hashCode(), c.toBuilder().build().hashCode());
        EngineConfig fewer = c.toBuilder().threads(1).build();
        assertNotEquals(c, fewer);
        assertEquals(c, fewer.toBuilder().threads(3).build());
    }

    @Test
    void eachBadParameterIsOneLineNamingItAndWhatWasExpected() {
        assertBad(b -> b.target(null), "target (--model): a target model is required");
        assertBad(b -> b.budget(-1), "budget (--budget) must be >= 0 (0: the optimizer's choice), got -1");
        assertBad(b -> b.depth(-2), "depth (--depth) must be >= 0 (0: the optimizer's choice), got -2");
        assertBad(b -> b.threads(0), "threads (--threads) must be >= 1, got 0");
        assertBad(b -> b.prefixCacheBytes(-1), "prefixCacheBytes must be >= 0 (0 disables the prompt-prefix cache), got -1");
        assertBad(b -> b.contextLength(-5), "contextLength (--context) must be >= 0 (0: the model's context length), got -5");
        assertBad(b -> b.tree("4x3"), "tree (--tree) '4x3' needs a draft model (--draft), expected 'none' without one");
    }

    private static void assertBad(UnaryOperator<EngineConfig.Builder> change, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> change.apply(EngineConfig.builder(TARGET)).build());
        assertEquals(message, e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
    }
}
