package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.tokenizer.ByteLevelBpeTokenizer;
import dev.sequoia.engine.tokenizer.GgufTokenType;
import dev.sequoia.engine.tokenizer.SentencePieceTokenizer;
import dev.sequoia.engine.tokenizer.Tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the tokenizer a GGUF file stores under {@code tokenizer.ggml.*}: model "llama" (SentencePiece
 * pieces, scores, token types) or "gpt2" (byte-level BPE tokens and merges). A file without
 * {@code tokenizer.ggml.model} has no tokenizer (null).
 */
public final class GgufTokenizers {
    public static final String MODEL = "tokenizer.ggml.model";
    public static final String TOKENS = "tokenizer.ggml.tokens";
    public static final String SCORES = "tokenizer.ggml.scores";
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String MERGES = "tokenizer.ggml.merges";
    public static final String BOS = "tokenizer.ggml.bos_token_id";
    public static final String EOS = "tokenizer.ggml.eos_token_id";
    public static final String UNK = "tokenizer.ggml.unknown_token_id";
    public static final String PRE = "tokenizer.ggml.pre";

    private GgufTokenizers() {}

    public static Tokenizer read(GgufFile f) {
        GgufMetadata m = f.metadata();
        if (!m.has(MODEL)) return null;
        String model = m.string(MODEL);
        try {
            return switch (model) {
                case "llama" -> sentencePiece(m);
                case "gpt2" -> byteLevel(m);
                default -> throw new ModelFormatException(f.path(), MODEL + " = '" + model
                        + "': supported tokenizer models are 'llama' and 'gpt2'");
            };
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(f.path(), "tokenizer (" + MODEL + " = '" + model + "'): " + e.getMessage(), e);
        }
    }

    private static Tokenizer sentencePiece(GgufMetadata m) {
        String[] tokens = m.strings(TOKENS);
        float[] scores = m.has(SCORES) ? m.floats(SCORES) : new float[tokens.length];
        int[] types = m.has(TOKEN_TYPE) ? m.ints(TOKEN_TYPE) : null;
        return new SentencePieceTokenizer(tokens, scores, types, m.intValue(BOS, 1), m.intValue(EOS, 2));
    }

    /** Control and user-defined tokens are matched verbatim; "gpt-2" pre-tokenization uses GPT-2's rules. */
    private static Tokenizer byteLevel(GgufMetadata m) {
        String[] tokens = m.strings(TOKENS);
        List<String> merges = List.of(m.strings(MERGES));
        Map<String, Integer> special = new HashMap<>();
        if (m.has(TOKEN_TYPE)) {
            int[] types = m.ints(TOKEN_TYPE);
            for (int id = 0; id < Math.min(types.length, tokens.length); id++) {
                if (types[id] == GgufTokenType.CONTROL.code() || types[id] == GgufTokenType.USER_DEFINED.code()) {
                    special.put(tokens[id], id);
                }
            }
        }
        int bos = m.intValue(BOS, -1), eos = m.intValue(EOS, -1);
        return switch (m.string(PRE, "llama-bpe")) {
            case "gpt-2", "gpt2" -> new ByteLevelBpeTokenizer(tokens, merges, special, bos, eos,
                    ByteLevelBpeTokenizer.GPT2_SPLIT, false);
            default -> new ByteLevelBpeTokenizer(tokens, merges, special, bos, eos);
        };
    }
}
