package dev.sequoia.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;

/**
 * The tokenization facts of {@code golden/stories260K-golden.json}: its {@code tokenizer_cases} and each
 * generation case's prompt, as (text, ids with BOS, decoded text) triples.
 */
record GoldenTokenization(String text, int[] idsWithBos, String decoded) {

    static List<GoldenTokenization> all() {
        JsonNode root = readGolden();
        List<GoldenTokenization> out = new ArrayList<>();
        for (JsonNode c : root.path("tokenizer_cases")) {
            out.add(new GoldenTokenization(c.path("text").asText(), ids(c.path("ids_with_bos")),
                    c.path("decoded").asText()));
        }
        for (JsonNode c : root.path("cases")) {
            String prompt = c.path("prompt").asText();
            out.add(new GoldenTokenization(prompt, ids(c.path("prompt_tokens")), prompt));
        }
        if (out.size() < 12) throw new AssertionError("golden file has only " + out.size() + " tokenization cases");
        return out;
    }

    static JsonNode readGolden() {
        try {
            return new ObjectMapper().readTree(Fixtures.targetGolden().toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    @Override
    public String toString() { return "'" + text.replace("\n", "\\n") + "'"; }
}
