package dev.sequoia.engine.model;

/**
 * Which pairs of a head's dimensions RoPE rotates together.
 * llama2.c and GGUF ("NORM" rope) rotate adjacent pairs {@code (2i, 2i+1)}; Hugging Face Llama
 * checkpoints permute the q/k rows so that the two halves of each head rotate together:
 * {@code (i, i + headDim/2)}. The same model in either layout gives the same logits.
 */
public enum RopeLayout {
    INTERLEAVED,
    HALVES
}
