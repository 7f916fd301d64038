package dev.sequoia.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The golden reference outputs in {@code fixtures/golden} (see {@link Fixtures}), parsed. */
public final class Golden {
    private Golden() {}

    /** One prompt's reference data. */
    public record Case(String prompt, int[] promptTokens, float[] logitsLast, int[] greedyTokens, String greedyText) {}

    public static List<Case> cases(Path goldenJson) {
        JsonNode root = read(goldenJson);
        List<Case> out = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            out.add(new Case(c.get("prompt").asText(), ints(c.get("prompt_tokens")), floats(c.get("logits_last")),
                    ints(c.get("greedy_tokens")), c.get("greedy_text").asText()));
        }
        return out;
    }

    public static double tolerance(Path goldenJson) {
        return read(goldenJson).get("suggested_tolerance_abs").asDouble();
    }

    public static JsonNode read(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode array) {
        int[] v = new int[array.size()];
        for (int i = 0; i < v.length; i++) v[i] = array.get(i).asInt();
        return v;
    }

    public static float[] floats(JsonNode array) {
        float[] v = new float[array.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) array.get(i).asDouble();
        return v;
    }
}
