package dev.sequoia.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 style byte-level BPE by merge rank: Llama 3's tokenizer.json and GGUF {@code gpt2} vocabularies.
 * Immutable; safe to share between threads.
 *
 * <p><b>Encode</b>:
 * <ol>
 *   <li>when the caller allows it, special (added) tokens are found verbatim in the text, longest first, and
 *       emitted as themselves (otherwise their text is ordinary text);</li>
 *   <li>the text between them is split into pre-tokens by the pre-tokenizer regex (Llama 3's by default);</li>
 *   <li>each pre-token's UTF-8 bytes are spelled with {@link ByteLevel}'s table, one symbol per byte;</li>
 *   <li>when {@code ignoreMerges} is set and the whole spelling is a token, that token is taken (Llama 3);
 *       otherwise the adjacent pair with the lowest merge rank merges, leftmost first, until none is left.</li>
 * </ol>
 * <b>Decode</b> maps each character of a token back to its byte; special tokens decode to their text.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
    /** Llama 3's pre-tokenizer split (tokenizer.json {@code pre_tokenizer} Split regex). */
    public static final String LLAMA3_SPLIT =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** GPT-2's pre-tokenizer split (the ByteLevel pre-tokenizer with use_regex). */
    public static final String GPT2_SPLIT =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private final String[] tokens;
    private final int bos;
    private final int eos;
    private final boolean ignoreMerges;
    private final Pattern split;
    private final SpecialTokens specials;
    private final int[] endOfGeneration;
    private final Map<String, Integer> idOfToken;
    private final Map<Long, PairMerger.Merge> mergeOfPair;
    private final int[] byteToken;
    private final byte[][] decoded;

    /** Llama 3 conventions: its split regex, and a pre-token that is itself a token skips the merges. */
    public ByteLevelBpeTokenizer(String[] tokens, List<String> merges, Map<String, Integer> specialTokens,
                                 int bos, int eos) {
        this(tokens, merges, specialTokens, bos, eos, LLAMA3_SPLIT, true);
    }

    /**
     * @param tokens        the vocabulary in byte-level spelling, indexed by id
     * @param merges        merge rules "left right", rank = list index (lower merges first)
     * @param specialTokens text -> id of tokens matched verbatim before splitting (may be empty)
     * @param splitRegex    the pre-tokenizer regex ({@link #LLAMA3_SPLIT}, {@link #GPT2_SPLIT})
     * @param ignoreMerges  take a pre-token whole when it is a token (Hugging Face {@code ignore_merges})
     */
    public ByteLevelBpeTokenizer(String[] tokens, List<String> merges, Map<String, Integer> specialTokens,
                                 int bos, int eos, String splitRegex, boolean ignoreMerges) {
        this(tokens, merges, specialTokens, bos, eos, splitRegex, ignoreMerges, new int[0]);
    }

    /**
     * As above, with the ids a file declares as ending a generation besides EOS (GGUF
     * {@code tokenizer.ggml.eot_token_id}, {@code eom_token_id}); special tokens named like an end of turn
     * ({@link SpecialTokens#END_OF_TURN_NAMES}) end it too.
     */
    public ByteLevelBpeTokenizer(String[] tokens, List<String> merges, Map<String, Integer> specialTokens,
                                 int bos, int eos, String splitRegex, boolean ignoreMerges, int[] endOfGeneration) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("tokens: empty vocabulary");
        this.tokens = tokens.clone();
        this.bos = checkSpecialId("bos", bos, tokens.length);
        this.eos = checkSpecialId("eos", eos, tokens.length);
        this.ignoreMerges = ignoreMerges;
        this.split = Pattern.compile(splitRegex, Pattern.UNICODE_CHARACTER_CLASS);
        this.idOfToken = indexTokens(this.tokens);
        this.specials = new SpecialTokens(specialTokens, tokens.length);
        for (int id : endOfGeneration) checkSpecialId("end-of-generation", id, tokens.length);
        this.endOfGeneration = specials.endOfGeneration(this.eos, endOfGeneration);
        this.byteToken = byteTokens(idOfToken);
        this.mergeOfPair = indexMerges(merges, idOfToken);
        this.decoded = new byte[tokens.length][];
        for (int id = 0; id < tokens.length; id++) decoded[id] = decodeToken(this.tokens[id]);
        specials.ids().forEach((text, id) -> decoded[id] = text.getBytes(StandardCharsets.UTF_8));
    }

    @Override public int vocabSize() { return tokens.length; }
    @Override public int bos() { return bos; }
    @Override public int eos() { return eos; }

    @Override
    public String piece(int token) { return tokens[checkToken(token)]; }

    @Override
    public int[] endOfGeneration() { return endOfGeneration.clone(); }

    /** {@inheritDoc} BOS/EOS are added only when the vocabulary has them. */
    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        return withEnds(addBos, addEos, out -> encodeOrdinary(text, out));
    }

    /** {@inheritDoc} BOS/EOS are added only when the vocabulary has them. */
    @Override
    public int[] encode(String text, boolean addBos, boolean addEos, IntPredicate specialAt) {
        return withEnds(addBos, addEos, out -> {
            for (SpecialTokens.Fragment f : specials.split(text, specialAt)) {
                if (f.special()) out.add(f.id());
                else encodeOrdinary(f.text(), out);
            }
        });
    }

    private int[] withEnds(boolean addBos, boolean addEos, java.util.function.Consumer<List<Integer>> body) {
        List<Integer> out = new ArrayList<>();
        if (addBos && bos >= 0) out.add(bos);
        body.accept(out);
        if (addEos && eos >= 0) out.add(eos);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public byte[] decode(int previous, int token) {
        return decoded[checkToken(token)].clone();
    }

    /** Steps 2 to 4 for text free of special tokens. */
    private void encodeOrdinary(String text, List<Integer> out) {
        for (String preToken : preTokens(text)) {
            String spelled = ByteLevel.encode(preToken.getBytes(StandardCharsets.UTF_8));
            Integer whole = ignoreMerges ? idOfToken.get(spelled) : null;
            if (whole != null) {
                out.add(whole);
                continue;
            }
            int[] symbols = new int[spelled.length()];
            for (int i = 0; i < symbols.length; i++) symbols[i] = byteToken[ByteLevel.byteOf(spelled.charAt(i))];
            for (int id : PairMerger.merge(symbols, this::merge)) out.add(id);
        }
    }

    /** Step 2: the regex's matches, and any text between them, in order (Hugging Face "Isolated" split). */
    List<String> preTokens(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = split.matcher(text);
        int end = 0;
        while (m.find()) {
            if (m.start() > end) out.add(text.substring(end, m.start()));
            if (m.end() > m.start()) out.add(m.group());
            end = m.end();
        }
        if (end < text.length()) out.add(text.substring(end));
        return out;
    }

    private PairMerger.Merge merge(int left, int right) {
        return mergeOfPair.get(pairKey(left, right));
    }

    private static long pairKey(int left, int right) { return ((long) left << 32) | (right & 0xFFFFFFFFL); }

    private byte[] decodeToken(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); ) {
            int cp = token.codePointAt(i);
            int b = cp < Character.MIN_SUPPLEMENTARY_CODE_POINT ? ByteLevel.byteOf((char) cp) : -1;
            if (b >= 0) {
                out.write(b);
            } else { // not a byte-level character (an added token's plain text): its own UTF-8
                out.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
            }
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }

    private int checkToken(int token) {
        if (token < 0 || token >= tokens.length) {
            throw new IllegalArgumentException("token " + token + " outside vocabulary 0.." + (tokens.length - 1));
        }
        return token;
    }

    // ---- construction helpers ----

    private static int checkSpecialId(String name, int id, int vocab) {
        if (id < -1 || id >= vocab) throw new IllegalArgumentException(name + " id " + id + " outside vocabulary");
        return id;
    }

    private static Map<String, Integer> indexTokens(String[] tokens) {
        Map<String, Integer> map = HashMap.newHashMap(tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == null) throw new IllegalArgumentException("tokens[" + i + "] is null");
            map.putIfAbsent(tokens[i], i);
        }
        return map;
    }

    /** byte -> id of its one-character token; a byte-level vocabulary must spell all 256. */
    private static int[] byteTokens(Map<String, Integer> idOfToken) {
        int[] ids = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = idOfToken.get(String.valueOf(ByteLevel.charOf(b)));
            if (id == null) {
                throw new IllegalArgumentException(String.format(
                        "byte-level vocabulary lacks the token for byte 0x%02X ('%c')", b, ByteLevel.charOf(b)));
            }
            ids[b] = id;
        }
        return ids;
    }

    /** (left id, right id) -> merged id with rank as priority; the first of duplicated rules wins. */
    private static Map<Long, PairMerger.Merge> indexMerges(List<String> merges, Map<String, Integer> idOfToken) {
        Map<Long, PairMerger.Merge> map = HashMap.newHashMap(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String rule = merges.get(rank);
            int space = rule == null ? -1 : rule.indexOf(' ', 1);
            if (space < 0 || space == rule.length() - 1) {
                throw new IllegalArgumentException("merges[" + rank + "] = '" + rule + "', expected 'left right'");
            }
            String left = rule.substring(0, space), right = rule.substring(space + 1);
            Integer l = idOfToken.get(left), r = idOfToken.get(right), merged = idOfToken.get(left + right);
            if (l == null || r == null || merged == null) {
                throw new IllegalArgumentException("merges[" + rank + "] = '" + rule + "': "
                        + (l == null ? "'" + left + "'" : r == null ? "'" + right + "'" : "'" + left + right + "'")
                        + " is not in the vocabulary");
            }
            map.putIfAbsent(pairKey(l, r), new PairMerger.Merge(merged, rank));
        }
        return map;
    }
}
