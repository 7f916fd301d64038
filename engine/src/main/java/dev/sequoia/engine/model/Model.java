package dev.sequoia.engine.model;

import dev.sequoia.engine.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * A loaded model: configuration, weights (views into memory owned by the loader's arena), its tokenizer,
 * and where it came from.
 *
 * @param source    the model file or folder
 * @param format    "gguf", "safetensors" or "llama2c"
 * @param config    hyper-parameters
 * @param weights   typed weight views
 * @param tokenizer the tokenizer, or null when the file has none and none was given
 */
public record Model(Path source, String format, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer) {
}
