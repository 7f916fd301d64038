package dev.sequoia.engine.api;

import java.nio.file.Path;

/**
 * Where a model comes from.
 *
 * @param model     a GGUF file, a llama2.c {@code .bin} checkpoint, or a Hugging Face safetensors folder
 * @param tokenizer a separate tokenizer file (llama2.c's {@code tokenizer.bin}), or null to use the model's own
 */
public record ModelSpec(Path model, Path tokenizer) {
    public ModelSpec {
        if (model == null) throw new IllegalArgumentException("a model path is required");
    }

    public static ModelSpec of(Path model) { return new ModelSpec(model, null); }
}
