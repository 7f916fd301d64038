package dev.sequoia.engine.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.model.RopeScaling;

import java.nio.file.Path;

/**
 * Reads a Hugging Face Llama {@code config.json} into a {@link LlamaConfig}. HF checkpoints permute q/k rows
 * so the two halves of each head rotate together: the layout is {@link RopeLayout#HALVES} and the weights
 * are used as stored. {@code rope_scaling} with rope_type "llama3" becomes a {@link RopeScaling}.
 */
public final class HfLlamaConfig {
    private HfLlamaConfig() {}

    public static LlamaConfig read(Path file, JsonNode c) {
        String modelType = c.path("model_type").asText("llama");
        if (!modelType.equals("llama")) {
            throw new ModelFormatException(file, "model_type is '" + modelType + "', only 'llama' is supported");
        }
        int dim = intField(file, c, "hidden_size");
        int heads = intField(file, c, "num_attention_heads");
        if (c.has("head_dim") && heads > 0 && c.path("head_dim").asInt() * heads != dim) {
            throw new ModelFormatException(file, "head_dim " + c.get("head_dim") + " * num_attention_heads " + heads
                    + " must equal hidden_size " + dim);
        }
        try {
            return new LlamaConfig(dim, intField(file, c, "intermediate_size"), intField(file, c, "num_hidden_layers"),
                    heads, c.has("num_key_value_heads") ? intField(file, c, "num_key_value_heads") : heads,
                    intField(file, c, "vocab_size"), intField(file, c, "max_position_embeddings"),
                    (float) c.path("rms_norm_eps").asDouble(1e-6), (float) c.path("rope_theta").asDouble(10000.0),
                    heads > 0 ? dim / heads : 0, RopeLayout.HALVES, scaling(file, c.path("rope_scaling")));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, e.getMessage(), e);
        }
    }

    /** Whether the classifier is the embedding ({@code tie_word_embeddings}, default false for Llama). */
    public static boolean tied(JsonNode c) {
        return c.path("tie_word_embeddings").asBoolean(false);
    }

    private static RopeScaling scaling(Path file, JsonNode s) {
        if (s.isMissingNode() || s.isNull()) return null;
        String type = s.path("rope_type").asText(s.path("type").asText(""));
        if (!type.equals("llama3")) {
            throw new ModelFormatException(file, "rope_scaling type '" + type + "' is not supported (only 'llama3')");
        }
        return new RopeScaling(s.path("factor").asDouble(), s.path("low_freq_factor").asDouble(1.0),
                s.path("high_freq_factor").asDouble(4.0), intField(file, s, "original_max_position_embeddings"));
    }

    private static int intField(Path file, JsonNode c, String field) {
        JsonNode v = c.path(field);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new ModelFormatException(file, "field '" + field + "' is " + (v.isMissingNode() ? "missing" : v)
                    + ", expected an integer");
        }
        return v.asInt();
    }
}
