package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.chat.ChatMessage;
import dev.sequoia.engine.chat.ChatTemplate;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code generate --chat/--system/--messages}: the rendered conversation is the prompt; bad input exits 2. */
class ChatCommandTest {
    @TempDir
    Path dir;

    private static int[] ids(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    @Test
    void multiTurnChatFromAMessagesFile() throws Exception {
        Path file = dir.resolve("chat.json");
        Files.writeString(file, "[{\"role\": \"user\", \"content\": \"Once upon a time\"},"
                + " {\"role\": \"assistant\", \"content\": \"there was a girl.\"}]");
        CliRun r = CliRun.of("generate", "--model", Fixtures.targetGguf().toString(), "--system", "Tell stories.",
                "--messages", file.toString(), "--prompt", "Lily", "-n", "6", "--json", "--threads", "1");
        assertEquals(0, r.exit(), r.err());
        List<ChatMessage> expected = List.of(ChatMessage.system("Tell stories."), ChatMessage.user("Once upon a time"),
                ChatMessage.assistant("there was a girl."), ChatMessage.user("Lily"));
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(Fixtures.targetGguf(), null, arena);
            String rendered = ChatTemplate.forModel(m).render(expected, true);
            assertTrue(rendered.startsWith("<s>[INST] <<SYS>>\nTell stories.\n<</SYS>>\n\nOnce upon a time [/INST] "
                    + "there was a girl. </s><s>[INST] Lily [/INST]"), rendered);
            assertArrayEquals(ChatTemplate.encode(m.tokenizer(), rendered),
                    ids(new ObjectMapper().readTree(r.out()).get("prompt_tokens")));
        }
    }

    @Test
    void specialTokenTextInAPromptIsParsedOnlyWhenAsked() throws Exception {
        String model = Fixtures.targetGguf().toString();
        JsonNode plain = new ObjectMapper().readTree(CliRun.of("generate", "--model", model, "--prompt",
                "Once upon a time", "-n", "1", "--json", "--threads", "1").out());
        JsonNode parsed = new ObjectMapper().readTree(CliRun.of("generate", "--model", model, "--prompt",
                "<s>Once upon a time", "--parse-special", "-n", "1", "--json", "--threads", "1").out());
        assertArrayEquals(ids(plain.get("prompt_tokens")), ids(parsed.get("prompt_tokens")),
                "<s> parsed is the BOS, not a second one");
        JsonNode text = new ObjectMapper().readTree(CliRun.of("generate", "--model", model, "--prompt",
                "<s>Once upon a time", "-n", "1", "--json", "--threads", "1").out());
        int[] t = ids(text.get("prompt_tokens"));
        assertEquals(1, t[0]);
        assertTrue(java.util.Arrays.stream(t).skip(1).noneMatch(id -> id == 1), "<s> as plain text: " + java.util.Arrays.toString(t));
    }

    @Test
    void badChatInputIsAOneLineErrorWithExitCode2() throws Exception {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "[{\"role\": \"narrator\", \"content\": \"x\"}]");
        CliRun r = CliRun.of("generate", "--model", Fixtures.targetGguf().toString(), "--messages", file.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("message 0: chat message role 'narrator' is not one of"), r.err());
        Files.writeString(file, "[{\"role\": \"user\", \"content\": \"a\"}]");
        CliRun twice = CliRun.of("generate", "--model", Fixtures.targetGguf().toString(), "--messages", file.toString(),
                "--prompt", "b", "-n", "2");
        assertEquals(2, twice.exit());
        assertTrue(twice.err().contains("chat template (built-in llama2) line 1: Conversation roles must alternate"), twice.err());
        assertEquals(1, twice.err().strip().lines().count(), twice.err());
    }
}
