package dev.sequoia.engine.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real Llama chat templates ({@code fixtures/chat/}, {@code fixtures/tokenizers/llama3/tokenizer_config.json})
 * rendered by Jinjava give, character for character, the prompt formats Meta documents; a failing template or
 * a bad role is a one-line error naming the template line or the role.
 */
class ChatTemplateTest {
    private static final String SYSTEM = "You are a friendly chatbot who always responds in the style of a pirate";
    /** Hugging Face's chat-templating documentation conversation (also in swift-jinja's tests). */
    private static final List<ChatMessage> CONVERSATION = List.of(ChatMessage.system(SYSTEM),
            ChatMessage.user("Hello, how are you?"), ChatMessage.assistant("I'm doing great. How can I help you today?"),
            ChatMessage.user("I'd like to show off how chat templating works!"));

    private static String fixture(String name) throws IOException {
        return Files.readString(Fixtures.fixture("chat/" + name));
    }

    private static String llama3TokenizerConfigTemplate() throws IOException {
        return new ObjectMapper().readTree(Fixtures.fixture("tokenizers/llama3/tokenizer_config.json").toFile())
                .get("chat_template").asText();
    }

    @Test
    void llama2ChatRendersItsDocumentedFormat() throws IOException {
        ChatTemplate t = new ChatTemplate(fixture("llama2-chat.jinja"), "llama2-chat.jinja", "<s>", "</s>");
        assertEquals("<s>[INST] <<SYS>>\n" + SYSTEM + "\n<</SYS>>\n\nHello, how are you? [/INST] I'm doing great. "
                + "How can I help you today? </s><s>[INST] I'd like to show off how chat templating works! [/INST]",
                t.render(CONVERSATION, true));
        assertEquals(t.render(CONVERSATION, true),
                ChatTemplate.builtIn(ChatTemplate.LLAMA2, "<s>", "</s>").render(CONVERSATION, true));
    }

    /** Meta's Llama 3 prompt format: BOS, then per message a header, two newlines, the text and eot. */
    private static String llama3Format(String system, boolean generationPrompt) {
        StringBuilder s = new StringBuilder("<|begin_of_text|>");
        List<ChatMessage> all = new ArrayList<>(CONVERSATION);
        all.set(0, ChatMessage.system(system));
        for (ChatMessage m : all) {
            s.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n").append(m.content()).append("<|eot_id|>");
        }
        if (generationPrompt) s.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return s.toString();
    }

    @Test
    void llama3RendersItsDocumentedFormat() throws IOException {
        ChatTemplate file = new ChatTemplate(llama3TokenizerConfigTemplate(), "llama3 tokenizer_config.json",
                "<|begin_of_text|>", "<|end_of_text|>");
        assertEquals(llama3Format(SYSTEM, true), file.render(CONVERSATION, true));
        ChatTemplate builtIn = ChatTemplate.builtIn(ChatTemplate.LLAMA3, "<|begin_of_text|>", "<|end_of_text|>");
        assertEquals(llama3Format(SYSTEM, true), builtIn.render(CONVERSATION, true));
        assertEquals(llama3Format(SYSTEM, false), builtIn.render(CONVERSATION, false));
    }

    @Test
    void llama31RendersItsDocumentedFormatWithTheDefaultDate() throws IOException {
        ChatTemplate t = new ChatTemplate(fixture("llama3.1-instruct.jinja"), "llama3.1", "<|begin_of_text|>", "<|eot_id|>");
        String system = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" + SYSTEM;
        assertEquals(llama3Format(system, true), t.render(CONVERSATION, true));
        assertEquals(llama3Format(system, true).replace("26 Jul 2024", "01 Dec 2026"),
                t.render(CONVERSATION, true, Map.of("date_string", "01 Dec 2026")));
    }

    @Test
    void llama32DatesTheSystemMessageWithStrftimeNow() throws IOException {
        ChatTemplate t = new ChatTemplate(fixture("llama3.2-instruct.jinja"), "llama3.2", "<|begin_of_text|>", "<|eot_id|>");
        String before = ChatTemplate.strftime(ZonedDateTime.now(), "%d %b %Y");
        String out = t.render(CONVERSATION, true);
        String after = ChatTemplate.strftime(ZonedDateTime.now(), "%d %b %Y");
        String system = "Cutting Knowledge Date: December 2023\nToday Date: %s\n\n" + SYSTEM;
        assertTrue(out.equals(llama3Format(system.formatted(before), true)) || out.equals(llama3Format(system.formatted(after), true)), out);
    }

    @Test
    void llama31ToolResultsAndToolErrorsRenderAsPythonJinjaDoes() throws IOException {
        ChatTemplate t = new ChatTemplate(fixture("llama3.1-instruct.jinja"), "llama3.1", "<|begin_of_text|>", "<|eot_id|>");
        String out = t.render(List.of(ChatMessage.user("Weather?"), new ChatMessage("tool", "72 degrees")), false);
        // a string is iterable in Python's Jinja, so the tool result goes through tojson: quoted
        assertTrue(out.endsWith("<|start_header_id|>ipython<|end_header_id|>\n\n\"72 degrees\"<|eot_id|>"), out);
        // tools given but no user message to put them in: the template's own raise_exception, with its line
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.render(
                List.of(ChatMessage.system("s")), true, Map.of("tools", List.of(Map.of("name", "f")))));
        assertTrue(e.getMessage().startsWith("chat template (llama3.1) line "), e.getMessage());
        assertTrue(e.getMessage().endsWith(": Cannot put tools in the first user message when there's no first user message!"),
                e.getMessage());
    }

    @Test
    void strftimeFollowsPython() {
        ZonedDateTime t = ZonedDateTime.of(2024, 7, 6, 9, 5, 3, 0, ZoneId.of("UTC"));
        assertEquals("06 Jul 2024", ChatTemplate.strftime(t, "%d %b %Y"));
        assertEquals("2024-07-06 09:05:03 Saturday July 100%", ChatTemplate.strftime(t, "%Y-%m-%d %H:%M:%S %A %B 100%%"));
    }

    @Test
    void raiseExceptionIsAOneLineErrorNamingTheTemplateLine() throws IOException {
        ChatTemplate t = new ChatTemplate(fixture("llama2-chat.jinja"), "llama2-chat.jinja", "<s>", "</s>");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true));
        assertEquals("chat template (llama2-chat.jinja) line 1: Conversation roles must alternate user/assistant/user/assistant/...",
                e.getMessage());
        ChatTemplate multiLine = new ChatTemplate("{{ messages[0].content }}\n\n{% if messages[0].role == 'user' %}"
                + "{{ raise_exception('no users here') }}{% endif %}", "t", "", "");
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> multiLine.render(List.of(ChatMessage.user("a")), true));
        assertEquals("chat template (t) line 3: no users here", e2.getMessage());
    }

    @Test
    void aTemplateThatDoesNotParseNamesItsLine() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}\n{{ m.content }}\n{% endif %}", "broken", "", "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(ChatMessage.user("a")), true));
        assertTrue(e.getMessage().startsWith("chat template (broken) line "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void anUnknownRoleIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ChatMessage("narrator", "x"));
        assertEquals("chat message role 'narrator' is not one of system, user, assistant, tool, ipython", e.getMessage());
    }
}
