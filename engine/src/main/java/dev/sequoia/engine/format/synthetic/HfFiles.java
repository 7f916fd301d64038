package dev.sequoia.engine.format.synthetic;

import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.tensor.TensorType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON documents of a synthetic Hugging Face model folder: a LlamaForCausalLM {@code config.json} and a
 * Llama-2-style (SentencePiece BPE with byte fallback) {@code tokenizer.json}, as plain maps for Jackson.
 */
final class HfFiles {
    private HfFiles() {}

    static Map<String, Object> config(LlamaConfig c, TensorType type) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("LlamaForCausalLM"));
        m.put("model_type", "llama");
        m.put("hidden_size", c.dim());
        m.put("intermediate_size", c.hiddenDim());
        m.put("num_hidden_layers", c.layers());
        m.put("num_attention_heads", c.heads());
        m.put("num_key_value_heads", c.kvHeads());
        m.put("vocab_size", c.vocabSize());
        m.put("max_position_embeddings", c.contextLength());
        m.put("rms_norm_eps", (double) c.rmsEps());
        m.put("rope_theta", (double) c.ropeTheta());
        m.put("hidden_act", "silu");
        m.put("tie_word_embeddings", false);
        m.put("bos_token_id", SyntheticVocabulary.BOS);
        m.put("eos_token_id", SyntheticVocabulary.EOS);
        m.put("torch_dtype", switch (type) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        });
        if (c.ropeScaling() != null) {
            var s = c.ropeScaling();
            m.put("rope_scaling", Map.of("rope_type", "llama3", "factor", s.factor(), "low_freq_factor",
                    s.lowFreqFactor(), "high_freq_factor", s.highFreqFactor(), "original_max_position_embeddings",
                    s.originalContextLength()));
        }
        return m;
    }

    static Map<String, Object> tokenizer(SyntheticVocabulary v) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int i = 0; i < v.pieces().length; i++) vocab.put(v.pieces()[i], i);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("unk_token", "<unk>");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("vocab", vocab);
        model.put("merges", v.merges());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", "1.0");
        m.put("added_tokens", List.of(added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")));
        m.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(
                Map.of("type", "Prepend", "prepend", "\u2581"),
                Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", "\u2581"))));
        m.put("pre_tokenizer", null);
        m.put("decoder", Map.of("type", "Sequence", "decoders", List.of(
                Map.of("type", "Replace", "pattern", Map.of("String", "\u2581"), "content", " "),
                Map.of("type", "ByteFallback"), Map.of("type", "Fuse"),
                Map.of("type", "Strip", "content", " ", "start", 1, "stop", 0))));
        m.put("model", model);
        return m;
    }

    private static Map<String, Object> added(int id, String content) {
        return Map.of("id", id, "content", content, "special", true, "single_word", false, "lstrip", false,
                "rstrip", false, "normalized", false);
    }
}
