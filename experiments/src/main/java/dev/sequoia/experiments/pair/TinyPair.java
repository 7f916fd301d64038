package dev.sequoia.experiments.pair;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.backend.offload.OffloadSettings;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real tiny pair the experiments measure: stories260K as the target and its distilled draft
 * draft-stories260K-d32 (tokenizer tok512), opened through the engine (the target resident, or streamed from
 * disk within a memory budget).
 */
public final class TinyPair implements AutoCloseable {
    public static final String TARGET = "stories260K.bin";
    public static final String DRAFT = "draft-stories260K-d32.bin";
    public static final String TOKENIZER = "tok512.bin";
    /** The bundled models, relative to the project root. */
    public static final Path BUNDLED = Path.of("engine/src/main/resources/dev/sequoia/engine/models/stories260K");

    private final Engine engine;

    private TinyPair(Engine engine) { this.engine = engine; }

    public static TinyPair open(Path models, int threads) {
        return open(models, threads, OffloadSettings.NONE);
    }

    /** The pair with the target streamed within {@code offload}'s budget (NONE: resident). */
    public static TinyPair open(Path models, int threads, OffloadSettings offload) {
        ModelSpec target = new ModelSpec(require(models, TARGET), require(models, TOKENIZER));
        ModelSpec draft = new ModelSpec(require(models, DRAFT), require(models, TOKENIZER));
        EngineConfig config = EngineConfig.builder(target).draft(draft).tree("chain:1").threads(threads).offload(offload)
                .build();
        return new TinyPair(Engine.open(config));
    }

    private static Path require(Path models, String name) {
        Path p = models.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("--models " + models + ": missing " + name
                    + " (expected the folder of the bundled stories260K pair)");
        }
        return p;
    }

    public Engine engine() { return engine; }

    @Override
    public void close() { engine.close(); }
}
