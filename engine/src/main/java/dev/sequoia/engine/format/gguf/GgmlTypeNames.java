package dev.sequoia.engine.format.gguf;

/** Names of GGML tensor type ids, so that an unsupported type can be reported by name. */
final class GgmlTypeNames {
    private static final String[] NAMES = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2 (removed)", "Q4_3 (removed)", "Q5_0",
            "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS",
            "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};

    private GgmlTypeNames() {}

    static String name(long id) {
        return id >= 0 && id < NAMES.length ? NAMES[(int) id] + " (" + id + ")" : "unknown type id " + id;
    }
}
