package dev.sequoia.engine.model;

import dev.sequoia.engine.tensor.TensorLocation;
import dev.sequoia.engine.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Map;

/**
 * A loaded model: configuration, weights (views into memory owned by the loader's arena), its tokenizer,
 * and where it came from.
 *
 * @param source    the model file or folder
 * @param format    "gguf", "safetensors" or "llama2c"
 * @param config    hyper-parameters
 * @param weights   typed weight views
 * @param tokenizer the tokenizer, or null when the file has none and none was given
 * @param locations where each tensor's bytes lie on disk, by tensor name (the names of the weights' views);
 *                  empty when the loader does not know (the layer streamer then refuses the model)
 * @param chatTemplate the chat template the file carries (GGUF {@code tokenizer.chat_template}), or null
 */
public record Model(Path source, String format, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer,
                    Map<String, TensorLocation> locations, String chatTemplate) {
    public Model {
        locations = Map.copyOf(locations);
    }

    /** A model whose tensors' file locations are unknown and which carries no chat template. */
    public Model(Path source, String format, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer) {
        this(source, format, config, weights, tokenizer, Map.of(), null);
    }

    /** The same model with another tokenizer. */
    public Model withTokenizer(Tokenizer other) {
        return new Model(source, format, config, weights, other, locations, chatTemplate);
    }
}
