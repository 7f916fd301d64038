package dev.sequoia.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code generate --config FILE}: a run from the file equals the same run from flags; bad files get one-line errors. */
class ConfigFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String[] flags() {
        return new String[] {"--model", Fixtures.target().toString(), "--tokenizer", Fixtures.model("tok512.bin").toString(),
                "--draft", Fixtures.model("draft-stories260K-d32.bin").toString(), "--tree", "4x3",
                "--prompt", "Once upon a time", "--max-tokens", "24", "--temperature", "0", "--seed", "7",
                "--threads", "1", "--stop", "\n\n", "--json"};
    }

    private static Path write(Path dir, String json) throws IOException {
        Path file = dir.resolve("run.json");
        Files.writeString(file, json);
        return file;
    }

    private static String asJsonFile() {
        String[] f = flags();
        return """
                {"model": %s, "tokenizer": %s, "draft": %s, "tree": "4x3", "prompt": "Once upon a time",
                 "max-tokens": 24, "temperature": 0, "seed": 7, "threads": 1, "stop": ["\\n\\n"], "json": true}
                """.formatted(quote(f[1]), quote(f[3]), quote(f[5]));
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static GenerateCommand parse(String... args) {
        GenerateCommand command = new GenerateCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void aRunFromTheFileParsesToTheSameRunAsFromFlags(@TempDir Path dir) throws IOException {
        GenerateCommand fromFlags = parse(flags());
        GenerateCommand fromFile = parse("--config", write(dir, asJsonFile()).toString());
        assertEquals(fromFlags.engineConfig(), fromFile.engineConfig());
        assertEquals(fromFlags.sampling.params(), fromFile.sampling.params());
        assertEquals(fromFlags.prompt, fromFile.prompt);
        assertEquals(fromFlags.maxTokens, fromFile.maxTokens);
        assertEquals(fromFlags.stop, fromFile.stop);
        assertEquals(fromFlags.json, fromFile.json);
    }

    @Test
    void greedySpeculativeOutputFromTheFileEqualsTheOutputFromFlags(@TempDir Path dir) throws IOException {
        CliRun fromFlags = run(flags());
        CliRun fromFile = run("--config", write(dir, asJsonFile()).toString());
        JsonNode a = JSON.readTree(fromFlags.out()), b = JSON.readTree(fromFile.out());
        assertTrue(a.get("tokens").size() > 0, fromFlags.out());
        assertEquals(a.get("prompt_tokens"), b.get("prompt_tokens"));
        assertEquals(a.get("tokens"), b.get("tokens"));
        assertEquals(a.get("text"), b.get("text"));
    }

    @Test
    void theBundledRunFileRunsFromAnyWorkingDirectory() throws IOException {
        Path file = repositoryRoot().resolve("configs/runs/stories260K-speculative.json");
        GenerateCommand parsed = parse("--config", file.toString());
        assertTrue(Files.isRegularFile(parsed.engineConfig().target().model()), "relative paths resolve against the file");
        assertEquals(0, run("--config", file.toString(), "--json").exit());
    }

    @Test
    void badFilesAreOneLineUsageErrorsNamingTheFileAndKey(@TempDir Path dir) throws IOException {
        assertError(run("--config", write(dir, "{\"modle\": \"x\"}").toString()), "unknown key 'modle'");
        assertError(run("--config", write(dir, "{\"json\": \"yes\"}").toString()), "'json' must be true or false");
        assertError(run("--config", write(dir, "{\"seed\": {\"a\": 1}}").toString()), "'seed' must be a string");
        assertError(run("--config", write(dir, "[1, 2]").toString()), "expected one JSON object");
        assertError(run("--config", write(dir, "{\"seed\": ").toString()), "not valid JSON");
        assertError(run("--config", dir.resolve("missing.json").toString()), "cannot read");
        String[] both = {"--config", write(dir, asJsonFile()).toString(), "--seed", "8"};
        assertError(run(both), "--seed");
    }

    private static void assertError(CliRun r, String expected) {
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().lines().findFirst().orElse("").contains(expected), r.err());
    }

    private static CliRun run(String... args) {
        List<String> all = new ArrayList<>(List.of("generate"));
        all.addAll(List.of(args));
        return CliRun.of(all.toArray(String[]::new));
    }

    private static Path repositoryRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("configs/runs"))) return d;
        }
        throw new IllegalStateException("no configs/runs above " + Path.of("").toAbsolutePath());
    }
}
