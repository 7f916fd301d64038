package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code sequoia split} then {@code generate} on the first part: the same tokens as the single file, resident
 * and with the target streamed under a memory budget; a missing part is a one-line error, exit code 2.
 */
class SplitCommandTest {
    @TempDir
    Path dir;

    private static JsonNode generate(String model, String... extra) throws Exception {
        String[] base = {"generate", "--model", model, "--prompt", "Once upon a time", "-n", "24", "--json",
                "--threads", "1"};
        String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(extra))
                .toArray(String[]::new);
        CliRun r = CliRun.of(args);
        assertEquals(0, r.exit(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void aSplitModelGeneratesTheSingleFilesTokensResidentAndStreamed() throws Exception {
        CliRun split = CliRun.of("split", "--model", Fixtures.targetGguf().toString(), "--parts", "3", "--out",
                dir.resolve("stories").toString());
        assertEquals(0, split.exit(), split.err());
        Path first = dir.resolve("stories-00001-of-00003.gguf");
        assertTrue(Files.isRegularFile(dir.resolve("stories-00003-of-00003.gguf")), split.out());

        JsonNode single = generate(Fixtures.targetGguf().toString());
        JsonNode resident = generate(first.toString());
        assertEquals(single.get("tokens"), resident.get("tokens"));
        JsonNode streamed = generate(first.toString(), "--memory-budget", "64MiB", "--resident-layers", "1",
                "--slots", "2");
        assertEquals(single.get("tokens"), streamed.get("tokens"));
        assertTrue(streamed.get("stats").get("offload").get("bytes_streamed").asLong() > 0,
                streamed.get("stats").toString());
    }

    @Test
    void aMissingPartIsAOneLineErrorWithExitCode2() throws Exception {
        assertEquals(0, CliRun.of("split", "--model", Fixtures.targetGguf().toString(), "--parts", "3", "--out",
                dir.resolve("stories").toString()).exit());
        Files.delete(dir.resolve("stories-00002-of-00003.gguf"));
        CliRun r = CliRun.of("generate", "--model", dir.resolve("stories-00001-of-00003.gguf").toString(),
                "--prompt", "x", "-n", "2");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("stories-00002-of-00003.gguf: part 2 of 3 is missing"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void badSplitArgumentsAreOneLineErrors() {
        CliRun r = CliRun.of("split", "--model", Fixtures.targetGguf().toString(), "--parts", "0", "--out",
                dir.resolve("x").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--parts must be"), r.err());
    }
}
