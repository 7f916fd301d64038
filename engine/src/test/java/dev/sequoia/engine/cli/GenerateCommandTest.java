package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.testing.Golden;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code sequoia generate}: the JSON contract, speculative stats, and clear usage errors. */
class GenerateCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void jsonHasPromptTokensTokensTextAndLogprobs() throws Exception {
        Golden.Case c = Golden.cases(Fixtures.targetGolden()).getFirst();
        assertEquals(0, run("generate", "--model", Fixtures.targetGguf().toString(), "--prompt", c.prompt(),
                "-n", "12", "--logprobs", "3", "--json", "--threads", "1"), err.toString());
        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertArrayEquals(c.promptTokens(), Golden.ints(json.get("prompt_tokens")));
        assertArrayEquals(java.util.Arrays.copyOf(c.greedyTokens(), 12), Golden.ints(json.get("tokens")));
        assertTrue(c.greedyText().startsWith(json.get("text").asText()), json.get("text").asText());
        assertEquals(12, json.get("logprobs").size());
        JsonNode first = json.get("logprobs").get(0);
        assertEquals(3, first.size());
        assertEquals(c.greedyTokens()[0], first.get(0).get("token").asInt());
        assertTrue(first.get(0).get("logprob").asDouble() <= 0);
        assertEquals(1.0, json.get("stats").get("tokens_per_step").asDouble(), 1e-9);
    }

    @Test
    void speculativeJsonReportsTokensPerStep() throws Exception {
        assertEquals(0, run("generate", "--model", Fixtures.target().toString(), "--tokenizer",
                Fixtures.tokenizer().toString(), "--draft", Fixtures.draft().toString(), "--tree", "4x4",
                "--prompt", "Once upon a time", "-n", "24", "--json", "--threads", "1"), err.toString());
        JsonNode stats = new ObjectMapper().readTree(out.toString()).get("stats");
        assertTrue(stats.get("tokens_per_step").asDouble() > 1, stats.toString());
        assertTrue(stats.get("draft_forwards").asInt() > stats.get("target_forwards").asInt());
        assertTrue(stats.get("tokens_per_s").asDouble() > 0);
    }

    @Test
    void badInputIsAOneLineErrorNotAStackTrace(@TempDir Path dir) throws Exception {
        assertEquals(2, run("generate", "--prompt", "x"));
        assertTrue(err.toString().contains("--model"), err.toString());

        Path truncated = dir.resolve("cut.gguf");
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(Fixtures.targetGguf()), 5000));
        assertEquals(2, run("generate", "--model", truncated.toString()));
        assertTrue(err.toString().contains(truncated.toString()), err.toString());

        assertEquals(2, run("generate", "--model", Fixtures.targetGguf().toString(), "--temperature", "-1"));
        assertTrue(err.toString().contains("temperature"), err.toString());
        assertEquals(2, run("generate", "--model", Fixtures.targetGguf().toString(), "--top-p", "1.5"));
        assertTrue(err.toString().contains("top-p"), err.toString());
        assertEquals(2, run("generate", "--model", Fixtures.target().toString(), "--tokenizer",
                Fixtures.tokenizer().toString(), "--draft", Fixtures.draft().toString(), "--tree", "bogus"));
        assertTrue(err.toString().contains("unknown tree policy 'bogus'"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
    }
}
