package dev.sequoia.engine.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.ModelFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a Hugging Face {@code tokenizer.json} whose model is BPE, in either of the two Llama styles:
 * <ul>
 *   <li><b>byte-level</b> (Llama 3, GPT-2: a ByteLevel pre-tokenizer or decoder) -> {@link ByteLevelBpeTokenizer}
 *       with the file's Split regex (or GPT-2's when only ByteLevel splits), its merges and {@code ignore_merges},
 *       and every added token matched verbatim;</li>
 *   <li><b>SentencePiece</b> (Llama 2: {@code byte_fallback}, a "▁" normalizer or Metaspace) ->
 *       {@link SentencePieceTokenizer}; a piece's score is minus the rank of the first merge that makes it
 *       (pieces no merge makes never merge), or minus its id when the file lists no merges.</li>
 * </ul>
 * BOS/EOS come from a {@code tokenizer_config.json} beside the file, else the post-processor's template
 * (a special token before the sequence is BOS, one after it EOS), else the usual token names.
 * Anything else is a {@link ModelFormatException} naming the file and the JSON field.
 */
public final class TokenizerJson {
    private static final List<String> BOS_NAMES = List.of("<s>", "<|begin_of_text|>", "<|startoftext|>");
    private static final List<String> EOS_NAMES = List.of("</s>", "<|end_of_text|>", "<|endoftext|>", "<|eot_id|>");

    private final Path file;
    private final JsonNode root;
    private final JsonNode model;
    private final String[] tokens;
    private final Map<String, Integer> added;

    private TokenizerJson(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
        this.model = root.path("model");
        String type = model.path("type").asText("");
        if (!type.equals("BPE")) throw fail("model.type", "is '" + type + "', expected 'BPE'");
        this.added = addedTokens();
        this.tokens = vocabulary();
    }

    /** Loads the tokenizer described by {@code tokenizerJson}. */
    public static Tokenizer read(Path tokenizerJson) {
        TokenizerJson t = new TokenizerJson(tokenizerJson, parse(tokenizerJson));
        try {
            return t.isByteLevel() ? t.byteLevel() : t.sentencePiece();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(tokenizerJson, "inconsistent tokenizer: " + e.getMessage(), e);
        }
    }

    // ---- style detection ----

    private boolean isByteLevel() {
        boolean byteLevel = hasType(root.path("pre_tokenizer"), "ByteLevel") || hasType(root.path("decoder"), "ByteLevel");
        if (byteLevel) return true;
        boolean sentencePiece = model.path("byte_fallback").asBoolean(false)
                || hasType(root.path("pre_tokenizer"), "Metaspace")
                || hasType(root.path("decoder"), "ByteFallback") || hasType(root.path("decoder"), "Metaspace")
                || root.path("normalizer").toString().contains("\u2581");
        if (sentencePiece) return false;
        throw fail("pre_tokenizer/decoder", "neither byte-level (ByteLevel) nor SentencePiece style "
                + "(byte_fallback, Metaspace, '\u2581' normalizer); cannot tell how to split text");
    }

    /** True when {@code node} or any object nested in it has {@code "type": type}. */
    private static boolean hasType(JsonNode node, String type) {
        if (node.isObject() && type.equals(node.path("type").asText())) return true;
        for (JsonNode child : node) if (hasType(child, type)) return true;
        return false;
    }

    // ---- the two styles ----

    private ByteLevelBpeTokenizer byteLevel() {
        JsonNode byteLevelPre = find(root.path("pre_tokenizer"), "ByteLevel");
        if (byteLevelPre != null && byteLevelPre.path("add_prefix_space").asBoolean(false)) {
            throw fail("pre_tokenizer.add_prefix_space", "true is not supported (Llama 3 and GPT-2 use false)");
        }
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);
        return new ByteLevelBpeTokenizer(tokens, mergeRules(), added, bos(), eos(), splitRegex(byteLevelPre),
                ignoreMerges);
    }

    private SentencePieceTokenizer sentencePiece() {
        List<String> merges = mergeRules();
        Map<String, Integer> idOf = HashMap.newHashMap(tokens.length);
        for (int i = 0; i < tokens.length; i++) idOf.putIfAbsent(tokens[i], i);
        float[] scores = new float[tokens.length];
        if (merges.isEmpty()) {
            for (int i = 0; i < scores.length; i++) scores[i] = -i;
        } else {
            Arrays.fill(scores, Float.NEGATIVE_INFINITY);
            for (int rank = merges.size() - 1; rank >= 0; rank--) { // descending, so the first rule's rank stays
                String rule = merges.get(rank);
                int space = rule.indexOf(' ', 1);
                String merged = space < 0 ? null : rule.substring(0, space) + rule.substring(space + 1);
                Integer id = merged == null ? null : idOf.get(merged);
                if (id == null) {
                    throw fail("model.merges[" + rank + "]", "'" + rule + "' does not merge two pieces into a "
                            + "piece of the vocabulary");
                }
                scores[id] = -rank;
            }
        }
        int[] types = new int[tokens.length];
        String unk = model.path("unk_token").asText("<unk>");
        for (int i = 0; i < tokens.length; i++) types[i] = tokenType(tokens[i], unk).code();
        return new SentencePieceTokenizer(tokens, scores, types, bos(), eos());
    }

    private GgufTokenType tokenType(String token, String unk) {
        if (added.containsKey(token)) return token.equals(unk) ? GgufTokenType.UNKNOWN : GgufTokenType.CONTROL;
        if (token.equals(unk)) return GgufTokenType.UNKNOWN;
        return SentencePieceTokenizer.byteOfPiece(token) >= 0 ? GgufTokenType.BYTE : GgufTokenType.NORMAL;
    }

    /** The Split pre-tokenizer's regex, else GPT-2's when ByteLevel splits itself, else no split at all. */
    private String splitRegex(JsonNode byteLevelPre) {
        JsonNode split = find(root.path("pre_tokenizer"), "Split");
        if (split != null) {
            JsonNode regex = split.path("pattern").path("Regex");
            if (!regex.isTextual()) throw fail("pre_tokenizer.pattern", "only a Regex Split pattern is supported");
            String behavior = split.path("behavior").asText("Isolated");
            if (!behavior.equals("Isolated")) throw fail("pre_tokenizer.behavior", "is '" + behavior
                    + "', only 'Isolated' is supported");
            try {
                Pattern.compile(regex.asText(), Pattern.UNICODE_CHARACTER_CLASS);
            } catch (PatternSyntaxException e) {
                throw fail("pre_tokenizer.pattern.Regex", "not a valid regex: " + e.getDescription());
            }
            return regex.asText();
        }
        boolean useRegex = byteLevelPre != null && byteLevelPre.path("use_regex").asBoolean(true);
        return useRegex ? ByteLevelBpeTokenizer.GPT2_SPLIT : "(?s).+";
    }

    /** The first object in {@code node} (depth first) whose type is {@code type}, or null. */
    private static JsonNode find(JsonNode node, String type) {
        if (node.isObject() && type.equals(node.path("type").asText())) return node;
        for (JsonNode child : node) {
            JsonNode hit = find(child, type);
            if (hit != null) return hit;
        }
        return null;
    }

    // ---- vocabulary, added tokens, merges ----

    private Map<String, Integer> addedTokens() {
        Map<String, Integer> map = new LinkedHashMap<>();
        JsonNode list = root.path("added_tokens");
        for (int i = 0; i < list.size(); i++) {
            JsonNode t = list.get(i);
            if (!t.path("content").isTextual() || !t.path("id").canConvertToInt() || t.path("id").asInt() < 0) {
                throw fail("added_tokens[" + i + "]", "needs a text 'content' and a non-negative int 'id', got " + t);
            }
            map.put(t.path("content").asText(), t.path("id").asInt());
        }
        return map;
    }

    /** model.vocab plus the added tokens, indexed by id; every id up to the largest must be present. */
    private String[] vocabulary() {
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject() || vocab.isEmpty()) throw fail("model.vocab", "missing or empty");
        Map<Integer, String> byId = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw fail("model.vocab['" + e.getKey() + "']", "id " + e.getValue() + " is not a non-negative int");
            }
            byId.put(e.getValue().asInt(), e.getKey());
        }
        added.forEach((text, id) -> byId.putIfAbsent(id, text));
        int size = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        if (size > byId.size()) {
            int missing = 0;
            while (byId.containsKey(missing)) missing++;
            throw fail("model.vocab", "ids run to " + (size - 1) + " but id " + missing + " has no token");
        }
        String[] out = new String[size];
        byId.forEach((id, text) -> out[id] = text);
        return out;
    }

    /** model.merges as "left right" rules, from either the string or the two-element-array form. */
    private List<String> mergeRules() {
        JsonNode merges = model.path("merges");
        List<String> rules = new ArrayList<>(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            JsonNode m = merges.get(i);
            if (m.isTextual()) {
                rules.add(m.asText());
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                rules.add(m.get(0).asText() + " " + m.get(1).asText());
            } else {
                throw fail("model.merges[" + i + "]", "expected \"left right\" or [\"left\", \"right\"], got " + m);
            }
        }
        return rules;
    }

    // ---- BOS / EOS ----

    private int bos() { return specialId("bos_token", true, BOS_NAMES); }

    private int eos() { return specialId("eos_token", false, EOS_NAMES); }

    private int specialId(String configKey, boolean beforeSequence, List<String> names) {
        String fromConfig = tokenizerConfigEntry(configKey);
        if (fromConfig != null) {
            Integer id = idOf(fromConfig);
            if (id == null) throw new ModelFormatException(file.resolveSibling("tokenizer_config.json"),
                    configKey + " '" + fromConfig + "' is not a token of " + file);
            return id;
        }
        String fromTemplate = templateToken(beforeSequence);
        Integer id = fromTemplate == null ? null : idOf(fromTemplate);
        for (int i = 0; id == null && i < names.size(); i++) id = idOf(names.get(i));
        return id == null ? -1 : id;
    }

    private Integer idOf(String token) {
        Integer id = added.get(token);
        if (id != null) return id;
        JsonNode v = model.path("vocab").path(token);
        return v.canConvertToInt() ? v.asInt() : null;
    }

    /** The special token the template puts before (or after) the sequence "A", or null. */
    private String templateToken(boolean beforeSequence) {
        JsonNode template = find(root.path("post_processor"), "TemplateProcessing");
        if (template == null) return null;
        String before = null, after = null;
        boolean seenSequence = false;
        for (JsonNode piece : template.path("single")) {
            if (piece.has("Sequence")) seenSequence = true;
            JsonNode special = piece.path("SpecialToken").path("id");
            if (special.isTextual()) {
                if (!seenSequence && before == null) before = special.asText();
                if (seenSequence && after == null) after = special.asText();
            }
        }
        return beforeSequence ? before : after;
    }

    /** {@code key} of a tokenizer_config.json beside the file (a string or {"content": ...}), or null. */
    private String tokenizerConfigEntry(String key) {
        Path config = file.resolveSibling("tokenizer_config.json");
        if (!Files.isRegularFile(config)) return null;
        JsonNode v = parse(config).path(key);
        if (v.isTextual()) return v.asText();
        return v.path("content").isTextual() ? v.path("content").asText() : null;
    }

    private static JsonNode parse(Path file) {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file, "tokenizer file not found or not a file");
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            if (root == null || !root.isObject()) throw new ModelFormatException(file, "expected a JSON object");
            return root;
        } catch (JacksonException e) {
            throw new ModelFormatException(file, "malformed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private ModelFormatException fail(String field, String what) {
        return new ModelFormatException(file, field + ": " + what);
    }
}
