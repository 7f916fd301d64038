package dev.sequoia.engine.format;

/**
 * How a file format names a Llama model's tensors. Layer tensor names are {@code layerPrefix} (a format
 * string taking the layer index) followed by the per-layer suffix. Readers and writers share these.
 */
public record TensorNames(String embedding, String finalNorm, String classifier, String layerPrefix,
                          String attnNorm, String wq, String wk, String wv, String wo,
                          String ffnNorm, String gate, String down, String up) {

    /** llama.cpp's GGUF names (also used for the llama2.c arrays, which have no names of their own). */
    public static final TensorNames GGUF = new TensorNames("token_embd.weight", "output_norm.weight",
            "output.weight", "blk.%d.", "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight",
            "attn_output.weight", "ffn_norm.weight", "ffn_gate.weight", "ffn_down.weight", "ffn_up.weight");

    /** Hugging Face transformers' LlamaForCausalLM names. */
    public static final TensorNames HF = new TensorNames("model.embed_tokens.weight", "model.norm.weight",
            "lm_head.weight", "model.layers.%d.", "input_layernorm.weight", "self_attn.q_proj.weight",
            "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
            "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.down_proj.weight",
            "mlp.up_proj.weight");

    /** The full name of a layer tensor, e.g. {@code layer(3, wq())} = "blk.3.attn_q.weight". */
    public String layer(int layer, String suffix) {
        return layerPrefix.formatted(layer) + suffix;
    }
}
