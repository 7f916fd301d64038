package dev.sequoia.engine.cli;

import dev.sequoia.engine.api.ModelSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The model files of a run: the target, its tokenizer, and the draft with its own tokenizer. Shared by
 * {@code generate}, {@code serve} (through {@link EngineOptions}) and {@code optimize}, so each names its files
 * with the same flags.
 */
final class ModelPaths {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "Target model: GGUF file, llama2.c .bin, or Hugging Face safetensors folder.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer file when the model has none (llama2.c tokenizer.bin).")
    Path tokenizer;

    @Option(names = "--draft", paramLabel = "PATH", description = "Draft model for speculative decoding (stays resident).")
    Path draft;

    @Option(names = "--draft-tokenizer", paramLabel = "PATH", description = "Tokenizer of the draft when its file has none (default: --tokenizer).")
    Path draftTokenizer;

    ModelSpec target() {
        return new ModelSpec(model, tokenizer);
    }

    /** The draft with its tokenizer ({@code --tokenizer} unless {@code --draft-tokenizer} is given), or null. */
    ModelSpec draftOrNull() {
        return draft == null ? null : new ModelSpec(draft, draftTokenizer != null ? draftTokenizer : tokenizer);
    }

    /** The draft, for a command that cannot run without one. */
    ModelSpec requireDraft(String command) {
        if (draft == null) throw new IllegalArgumentException(command + " needs a draft model: --draft PATH");
        return draftOrNull();
    }
}
