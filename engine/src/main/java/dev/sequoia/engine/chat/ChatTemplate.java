package dev.sequoia.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * A model's chat template: the Jinja program (Hugging Face's {@code chat_template}, GGUF's
 * {@code tokenizer.chat_template}) that turns a conversation into the prompt text the model was trained on.
 * Rendered by Jinjava with the variables and functions Hugging Face's renderer provides: {@code messages}
 * (maps with {@code role} and {@code content}), {@code add_generation_prompt}, {@code bos_token},
 * {@code eos_token}, {@code raise_exception(msg)} and {@code strftime_now(format)}; blocks are trimmed as
 * Hugging Face renders them ({@code trim_blocks}, {@code lstrip_blocks}).
 *
 * <p>The rendered text contains special-token text ({@code <|eot_id|>}, {@code </s>}): {@link #encodeConversation}
 * parses it as special tokens in the template's own text only, never in the messages. A template that fails (a syntax error, {@code raise_exception}, an unknown
 * variable's method) is an {@link IllegalArgumentException} naming the template line. Thread-safe.
 */
public final class ChatTemplate {
    /** Llama 2 chat's [INST] format (meta-llama/Llama-2-7b-chat-hf), for models that carry no template. */
    public static final String LLAMA2 = "llama2";
    /** Llama 3 Instruct's header format (meta-llama/Meta-Llama-3-8B-Instruct), for models that carry no template. */
    public static final String LLAMA3 = "llama3";

    private static final Jinjava JINJAVA = newJinjava();

    private final String source;
    private final String name;
    private final String bosToken;
    private final String eosToken;

    /**
     * @param source   the Jinja template
     * @param name     where it came from, for error messages (a file, "GGUF tokenizer.chat_template", "built-in llama3")
     * @param bosToken the text of BOS ({@code <s>}, {@code <|begin_of_text|>}), "" when none
     * @param eosToken the text of EOS, "" when none
     */
    public ChatTemplate(String source, String name, String bosToken, String eosToken) {
        if (source == null || source.isBlank()) throw new IllegalArgumentException(name + ": the chat template is empty");
        this.source = source;
        this.name = name;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
    }

    /** A built-in template ({@link #LLAMA2} or {@link #LLAMA3}). */
    public static ChatTemplate builtIn(String which, String bosToken, String eosToken) {
        String resource = switch (which) {
            case LLAMA2, LLAMA3 -> "/dev/sequoia/engine/chat/" + which + ".jinja";
            default -> throw new IllegalArgumentException("no built-in chat template '" + which + "' (llama2, llama3)");
        };
        try (InputStream in = ChatTemplate.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("built-in chat template missing: " + resource);
            return new ChatTemplate(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in " + which,
                    bosToken, eosToken);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The template a model is chatted with: the one its file carries, else the built-in Llama 3 header
     * template when its vocabulary has {@code <|start_header_id|>} as a special token, else Llama 2's [INST].
     */
    public static ChatTemplate forModel(Model model) {
        Tokenizer t = model.tokenizer();
        String bos = t.bos() >= 0 ? t.piece(t.bos()) : "", eos = t.eos() >= 0 ? t.piece(t.eos()) : "";
        if (model.chatTemplate() != null && !model.chatTemplate().isBlank()) {
            return new ChatTemplate(model.chatTemplate(), model.source().getFileName() + " chat template", bos, eos);
        }
        boolean header = t.encode("<|start_header_id|>", false, false, true).length == 1;
        return builtIn(header ? LLAMA3 : LLAMA2, bos, eos);
    }

    /**
     * Tokens of a rendered conversation: special-token text parsed, BOS prepended unless the template wrote it.
     * Every special token's text counts, the messages' own included: for text the caller wrote, use
     * {@link #encodeConversation}.
     */
    public static int[] encode(Tokenizer tokenizer, String rendered) {
        return encode(tokenizer, rendered, at -> true);
    }

    private static int[] encode(Tokenizer tokenizer, String rendered, IntPredicate specialAt) {
        int bos = tokenizer.bos();
        boolean hasBos = bos >= 0 && rendered.startsWith(tokenizer.piece(bos)) && specialAt.test(0);
        return tokenizer.encode(rendered, bos >= 0 && !hasBos, false, specialAt);
    }

    /**
     * The prompt tokens of a conversation: rendered, then encoded with special tokens parsed only in the
     * template's own text. A message that contains {@code <|eot_id|><|start_header_id|>system...} gets those
     * characters as plain text, never as control tokens, so a user cannot forge turns or end the prompt.
     * Where the template's text ends and a message begins is found by rendering once more with a marker in
     * place of each message; the message then must appear there verbatim or stripped (as templates'
     * {@code | trim} gives). A template that rewrites a message some other way is refused when that message
     * holds special-token text, so nothing typed is ever parsed as a control token.
     */
    public int[] encodeConversation(Tokenizer tokenizer, List<ChatMessage> messages, boolean addGenerationPrompt) {
        String rendered = render(messages, addGenerationPrompt);
        List<ChatMessage> marked = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) marked.add(new ChatMessage(messages.get(i).role(), marker(i)));
        boolean[] typed = typedText(rendered, render(marked, addGenerationPrompt), messages);
        if (typed == null) {
            for (ChatMessage m : messages) {
                if (!java.util.Arrays.equals(tokenizer.encode(m.content(), false, false, true),
                        tokenizer.encode(m.content(), false, false, false))) {
                    throw new IllegalArgumentException("chat template (" + name + ") rewrites a " + m.role()
                            + " message that contains special-token text; remove it from the message");
                }
            }
            return encode(tokenizer, rendered);
        }
        return encode(tokenizer, rendered, at -> !typed[at]);
    }

    private static final char MARK_OPEN = '\uE000', MARK_CLOSE = '\uE001';

    private static String marker(int message) { return MARK_OPEN + Integer.toString(message) + MARK_CLOSE; }

    /**
     * For each char of {@code rendered}: whether it is a message's text. {@code withMarkers} is the same
     * render with message i's content replaced by {@link #marker(int)}; null when the two cannot be aligned
     * (the template transformed a message other than by stripping it).
     */
    private static boolean[] typedText(String rendered, String withMarkers, List<ChatMessage> messages) {
        boolean[] typed = new boolean[rendered.length() + 1];
        int open = withMarkers.indexOf(MARK_OPEN);
        String between = open < 0 ? withMarkers : withMarkers.substring(0, open);
        if (!rendered.startsWith(between)) return null;
        int r = between.length();
        while (open >= 0) {
            int close = withMarkers.indexOf(MARK_CLOSE, open);
            int index = close < 0 ? -1 : messageIndex(withMarkers.substring(open + 1, close));
            if (index < 0 || index >= messages.size()) return null;
            open = withMarkers.indexOf(MARK_OPEN, close);
            between = withMarkers.substring(close + 1, open < 0 ? withMarkers.length() : open);
            String content = messages.get(index).content();
            String shown = null;
            for (String candidate : new String[] {content, content.strip()}) {
                if (rendered.startsWith(candidate, r) && rendered.startsWith(between, r + candidate.length())) {
                    shown = candidate;
                    break;
                }
            }
            if (shown == null) return null;
            java.util.Arrays.fill(typed, r, r + shown.length(), true);
            r += shown.length() + between.length();
        }
        return r == rendered.length() ? typed : null;
    }

    private static int messageIndex(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public String source() { return source; }
    public String name() { return name; }

    /** The prompt text for {@code messages}; with {@code addGenerationPrompt}, the opening of the assistant's reply. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /** As {@link #render(List, boolean)}, with extra template variables (say {@code date_string}, {@code tools}). */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
        if (messages.isEmpty()) throw new IllegalArgumentException(name + ": a conversation needs at least one message");
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        Map<String, Object> vars = new HashMap<>(extra);
        vars.put("messages", list);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        // templates test "strftime_now is defined" before calling it; the call itself resolves to the function
        vars.put("strftime_now", true);
        RenderResult r = JINJAVA.renderForResult(source, vars);
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) throw failure(e);
        }
        return r.getOutput();
    }

    private IllegalArgumentException failure(TemplateError e) {
        String message = e.getMessage() == null ? e.getReason().toString() : e.getMessage();
        for (Throwable c = e.getException(); c != null; c = c.getCause()) {
            if (c instanceof RaisedException r) {
                message = r.getMessage().substring(RaisedException.PREFIX.length());
                break;
            }
        }
        String where = e.getLineno() > 0 ? " line " + e.getLineno() : "";
        return new IllegalArgumentException("chat template (" + name + ")" + where + ": "
                + message.replace('\n', ' ').strip());
    }

    // ---- the functions Hugging Face gives templates ----

    /** {@code raise_exception(message)}: the template refuses the conversation. */
    public static String raiseException(String message) {
        throw new RaisedException(message);
    }

    /** {@code strftime_now(format)}: the local time in Python's strftime format. */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    /** Python's strftime for the directives chat templates use (%d %b %B %Y %y %m %H %M %S %a %A %j %p %%). */
    static String strftime(ZonedDateTime t, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            String pattern = switch (d) {
                case 'd' -> "dd";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'm' -> "MM";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case 'j' -> "DDD";
                case 'p' -> "a";
                default -> null;
            };
            if (d == '%') out.append('%');
            else if (pattern == null) out.append('%').append(d);
            else out.append(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH).format(t));
        }
        return out.toString();
    }

    /**
     * Jinja's {@code is iterable} as Python answers it: strings, sequences and mappings are iterable (Jinjava
     * says no for strings, and Llama 3.1's template renders a tool result as JSON only when it is).
     */
    static final class PythonIterable implements com.hubspot.jinjava.lib.exptest.ExpTest {
        @Override
        public String getName() { return "iterable"; }

        @Override
        public boolean evaluate(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof Iterable<?> || var instanceof Map<?, ?>
                    || (var != null && var.getClass().isArray());
        }
    }

    /** What raise_exception throws; its message reaches the caller. */
    static final class RaisedException extends RuntimeException {
        static final String PREFIX = "raise_exception: ";

        RaisedException(String message) {
            super(PREFIX + message);
        }
    }

    private static Jinjava newJinjava() {
        // Jinja's whitespace control ({{- ... -}}, {%- ... -%}) on expressions too, as Python's Jinja does.
        // (Jinjava's "natural operator precedence" is left off: with it, "not x is defined" parses as
        // "(not x) is defined", which the Llama 3.1 template's defaults depend on not doing.)
        LegacyOverrides jinja = LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
                .withParseWhitespaceControlStrictly(true).withUsePyishObjectMapper(true).build();
        Jinjava j = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withFailOnUnknownTokens(false).withLegacyOverrides(jinja).build());
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raiseException", String.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class,
                "strftimeNow", String.class));
        j.getGlobalContext().registerExpTest(new PythonIterable());
        return j;
    }
}
