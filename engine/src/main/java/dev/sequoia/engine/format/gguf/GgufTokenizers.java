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
 * {@code tokenizer.ggml.model} has no tokenizer (null). Generation ends at EOS and at the end-of-turn /
 * end-of-message ids the file declares ({@code tokenizer.ggml.eot_token_id}, {@code eom_token_id}).
 * {@code tokenizer.ggml.pre} picks the byte-level pre-tokenizer: "llama-bpe" (Llama 3, also assumed when the
 * key is missing) or "gpt-2"; any other value is refused rather than tokenized wrongly.
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
    public static final String EOT = "tokenizer.ggml.eot_token_id";
    public static final String EOM = "tokenizer.ggml.eom_token_id";
    public static final String CHAT_TEMPLATE = "tokenizer.chat_template";

    private GgufTokenizers() {}

    public static Tokenizer read(GgufFile f) {
        GgufMetadata m = f.metadata();
        if (!m.has(MODEL)) return null;
        String model = m.string(MODEL);
        try {
            return switch (model) {
                case "llama" -> sentencePiece(m);
                case "gpt2" -> byteLevel(f, m);
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
        return new SentencePieceTokenizer(tokens, scores, types, m.intValue(BOS, 1), m.intValue(EOS, 2),
                endOfTurn(m));
    }

    /** The declared end-of-turn and end-of-message ids (-1 when absent). */
    private static int[] endOfTurn(GgufMetadata m) {
        return new int[] {m.intValue(EOT, -1), m.intValue(EOM, -1)};
    }

    /** Control and user-defined tokens are special; the pre-tokenizer follows {@code tokenizer.ggml.pre}. */
    private static Tokenizer byteLevel(GgufFile f, GgufMetadata m) {
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
        String pre = m.string(PRE, "llama-bpe");
        return switch (pre) {
            case "gpt-2", "gpt2" -> new ByteLevelBpeTokenizer(tokens, merges, special, bos, eos,
                    ByteLevelBpeTokenizer.GPT2_SPLIT, false, endOfTurn(m));
            // llama.cpp: Llama 3's split regex, and a pre-token that is itself a token skips the merges
            case "llama-bpe", "llama3", "smaug-bpe" -> new ByteLevelBpeTokenizer(tokens, merges, special, bos, eos,
                    ByteLevelBpeTokenizer.LLAMA3_SPLIT, true, endOfTurn(m));
            default -> throw new ModelFormatException(f.path(), PRE + " = '" + pre
                    + "': supported byte-level pre-tokenizers are 'llama-bpe' (Llama 3) and 'gpt-2'");
        };
    }
}
