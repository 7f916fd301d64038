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

/**
 * {@code generate --config FILE} and {@code serve --config FILE} (JSON, or YAML for .yaml/.yml): a run from the file
 * equals the same run from flags; bad files get one-line errors.
 */
class ConfigFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String[] flags() {
        return new String[] {"--model", Fixtures.target().toString(), "--tokenizer", Fixtures.model("tok512.bin").toString(),
                "--draft", Fixtures.model("draft-stories260K-d32.bin").toString(), "--tree", "4x3",
                "--prompt", "Once upon a time", "--max-tokens", "24", "--temperature", "0", "--seed", "7",
                "--threads", "1", "--stop", "\n\n", "--json"};
    }

    private static Path write(Path dir, String json) throws IOException {
        return write(dir, "run.json", json);
    }

    private static Path write(Path dir, String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    /** The same run as {@link #asJsonFile()}, as YAML. */
    private static String asYamlFile() {
        String[] f = flags();
        return """
                model: %s
                tokenizer: %s
                draft: %s
                tree: 4x3
                prompt: Once upon a time
                max-tokens: 24
                temperature: 0
                seed: 7
                threads: 1
                stop: ["\\n\\n"]
                json: true
                """.formatted(quote(f[1]), quote(f[3]), quote(f[5]));
    }

    private static String[] serveFlags() {
        return new String[] {"--model", Fixtures.target().toString(), "--tokenizer", Fixtures.model("tok512.bin").toString(),
                "--draft", Fixtures.model("draft-stories260K-d32.bin").toString(), "--tree", "chain:3", "--threads", "1",
                "--context", "100", "--memory-budget", "1MiB", "--port", "0", "--model-name", "tiny", "--max-running", "3",
                "--max-waiting", "5", "--max-conversations", "7", "--drain-seconds", "2", "--api-key", "k"};
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
    void aYamlFileParsesToTheSameRunAsTheJsonFile(@TempDir Path dir) throws IOException {
        GenerateCommand fromJson = parse("--config", write(dir, asJsonFile()).toString());
        for (String name : List.of("run.yaml", "run.yml")) {
            GenerateCommand fromYaml = parse("--config", write(dir, name, asYamlFile()).toString());
            assertEquals(fromJson.engineConfig(), fromYaml.engineConfig(), name);
            assertEquals(fromJson.sampling.params(), fromYaml.sampling.params(), name);
            assertEquals(fromJson.prompt, fromYaml.prompt, name);
            assertEquals(fromJson.maxTokens, fromYaml.maxTokens, name);
            assertEquals(fromJson.stop, fromYaml.stop, name);
            assertEquals(fromJson.json, fromYaml.json, name);
        }
    }

    @Test
    void serveFromAFileOpensTheSameEngineAndServerAsFromFlags(@TempDir Path dir) throws IOException {
        String[] f = serveFlags();
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < f.length; i += 2) yaml.append(f[i].substring(2)).append(": ").append(quote(f[i + 1])).append('\n');
        ServeCommand fromFlags = parseServe(f);
        ServeCommand fromFile = parseServe("--config", write(dir, "serve.yaml", yaml.toString()).toString());
        assertEquals(fromFlags.engine.config(), fromFile.engine.config());
        assertEquals(fromFlags.settings(), fromFile.settings());
        assertEquals("chain:3", fromFile.engine.config().tree());
        assertEquals(1L << 20, fromFile.engine.config().offload().budgetBytes());
        assertEquals(3, fromFile.settings().maxRunning());
        assertEquals("tiny", fromFile.settings().modelName());
    }

    @Test
    void theBundledServeFileNamesTheBundledModels() {
        ServeCommand parsed = parseServe("--config", repositoryRoot().resolve("configs/runs/stories260K-serve.yaml").toString());
        assertTrue(Files.isRegularFile(parsed.engine.config().target().model()), "relative paths resolve against the file");
        assertTrue(Files.isRegularFile(parsed.engine.config().draft().model()));
        assertEquals("stories260K", parsed.settings().modelName());
    }

    private static ServeCommand parseServe(String... args) {
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs(args);
        return command;
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
        assertError(run("--config", write(dir, "run.yaml", "- 1\n- 2\n").toString()), "expected one YAML mapping");
        assertError(run("--config", write(dir, "run.yaml", "seed: [1\n").toString()), "not valid YAML");
        assertError(run("--config", write(dir, "run.yaml", "modle: x\n").toString()), "unknown key 'modle'");
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
