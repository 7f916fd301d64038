package dev.sequoia.engine.api;

import dev.sequoia.engine.chat.ChatMessage;
import dev.sequoia.engine.chat.ChatTemplate;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Chat through the sessions API on stories260K.gguf (no template in the file: the built-in Llama 2 one): a turn
 * feeds the rendered conversation; the next turn re-renders the whole conversation and feeds only the tokens
 * past what the session already holds, and continues exactly as a fresh session given the whole conversation.
 */
class ChatSessionTest {
    private static EngineConfig config() {
        return EngineConfig.builder(new ModelSpec(Fixtures.targetGguf(), null)).threads(1).contextLength(256).build();
    }

    private static GenerateRequest greedy(int n) { return GenerateRequest.greedy("", n); }

    @Test
    void aSecondTurnFeedsOnlyTheNewTokens() {
        List<ChatMessage> turn1 = List.of(ChatMessage.system("Tell stories."), ChatMessage.user("Once upon a time"));
        try (Engine engine = Engine.open(config()); Session session = engine.openSession()) {
            Tokenizer tok = engine.tokenizer();
            ChatTemplate template = engine.chatTemplate();
            assertEquals("built-in llama2", template.name());
            int[] conv1 = ChatTemplate.encode(tok, template.render(turn1, true));
            assertEquals(1, conv1[0], "BOS from the template's <s>, once");
            assertNotEquals(1, conv1[1]);
            GenerationResult r1 = session.chat(turn1, greedy(12));
            assertArrayEquals(conv1, r1.promptTokens());
            assertEquals(conv1.length, r1.stats().promptTokens());

            List<ChatMessage> turn2 = List.of(turn1.get(0), turn1.get(1), ChatMessage.assistant(r1.text()),
                    ChatMessage.user("Lily went home"));
            int[] conv2 = ChatTemplate.encode(tok, template.render(turn2, true));
            int[] held = IntStream.concat(IntStream.of(conv1), IntStream.of(r1.tokens())).toArray();
            int common = 0;
            while (common < Math.min(held.length, conv2.length - 1) && held[common] == conv2[common]) common++;
            assertTrue(common >= conv1.length, "the first turn's prompt is never fed again: common prefix " + common);
            GenerationResult r2 = session.chat(turn2, greedy(12));
            assertEquals(conv2.length - common, r2.stats().promptTokens(), "only the tokens past the common prefix");
            assertTrue(r2.stats().promptTokens() < conv2.length - conv1.length + 1);
            System.out.printf("chat: turn 1 fed %d tokens; turn 2 renders %d, shares %d with the session, fed %d%n",
                    conv1.length, conv2.length, common, r2.stats().promptTokens());

            try (Session fresh = engine.openSession()) {
                GenerationResult once = fresh.chat(turn2, greedy(12));
                assertEquals(conv2.length, once.stats().promptTokens() + once.stats().cachedTokens());
                assertArrayEquals(once.tokens(), r2.tokens(), "the reused caches continue as a fresh session would");
            }
        }
    }

    @Test
    void templateAndRoleErrorsAreRaisedAtTheCall() {
        try (Engine engine = Engine.open(config()); Session session = engine.openSession()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> session.chat(
                    List.of(ChatMessage.user("a"), ChatMessage.user("b")), greedy(4)));
            assertEquals("chat template (built-in llama2) line 1: Conversation roles must alternate "
                    + "user/assistant/user/assistant/...", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> session.chat(List.of(ChatMessage.user("a")),
                    GenerateRequest.greedy("not empty", 4)));
            // the session still works
            assertEquals(4, session.chat(List.of(ChatMessage.user("a")), greedy(4)).tokens().length);
        }
    }
}
