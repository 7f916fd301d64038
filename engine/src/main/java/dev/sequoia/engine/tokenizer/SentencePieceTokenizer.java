package dev.sequoia.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * SentencePiece-style BPE by piece scores with byte fallback: the vocabulary of llama2.c tokenizer files,
 * GGUF {@code llama} vocabularies and Llama 2's tokenizer.json. Immutable; safe to share between threads.
 *
 * <p><b>Encode</b> (llama2.c's {@code encode}, made O(n log n)):
 * <ol>
 *   <li>a non-empty text gets the dummy prefix: the piece of one space;</li>
 *   <li>each code point becomes its piece if the vocabulary has it, else one byte-fallback token
 *       ({@code <0xXX>}) per UTF-8 byte;</li>
 *   <li>the adjacent pair whose concatenated piece exists with the highest score merges, the leftmost
 *       winning ties, until none is left (scores at or below -1e10 never merge, as in llama2.c);</li>
 *   <li>BOS/EOS are added on request.</li>
 * </ol>
 * When the caller allows special tokens, the text of a control or user-defined token (BOS/EOS when types are
 * unknown) becomes that token, and each stretch of plain text between them is encoded as above, dummy prefix
 * included (llama.cpp's and Hugging Face's legacy Llama 2 behaviour: {@code <s>[INST]} gives "▁[").
 * Vocabularies that write space as U+2581 ("▁", GGUF and Hugging Face) are detected: the text's spaces
 * become "▁" before step 1, and decoding turns them back.
 *
 * <p><b>Decode</b> (llama2.c's {@code decode}): the piece's bytes, with one leading space dropped right
 * after BOS, and {@code <0xXX>} byte tokens as the raw byte, so UTF-8 split across byte tokens round-trips
 * once the caller concatenates. When token types are known, control tokens (BOS, EOS) decode to nothing.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    /** llama2.c's initial best score: only pieces scoring strictly above it are merge results. */
    private static final float NO_MERGE_SCORE = -1e10f;
    private static final String METASPACE = "\u2581";
    private static final byte[] NOTHING = new byte[0];

    private final String[] pieces;
    private final float[] scores;
    private final int bos;
    private final int eos;
    private final boolean metaspace;
    private final Map<String, Integer> idOfPiece;
    private final int[] byteToken;
    private final byte[][] decoded;
    private final byte[][] decodedAfterBos;
    private final SpecialTokens specials;
    private final int[] endOfGeneration;

    /**
     * @param pieces     the vocabulary, indexed by token id
     * @param scores     one merge score per piece (higher merges first)
     * @param tokenTypes GGUF {@code token_type} codes per piece, or null when unknown (llama2.c files)
     * @param bos        beginning-of-sequence id, or -1
     * @param eos        end-of-sequence id, or -1
     */
    public SentencePieceTokenizer(String[] pieces, float[] scores, int[] tokenTypes, int bos, int eos) {
        this(pieces, scores, tokenTypes, bos, eos, new int[0]);
    }

    /** As above, with the ids a file declares as ending a generation besides EOS (GGUF eot/eom ids). */
    public SentencePieceTokenizer(String[] pieces, float[] scores, int[] tokenTypes, int bos, int eos,
                                  int[] endOfGeneration) {
        validate(pieces, scores, tokenTypes, bos, eos);
        this.pieces = pieces.clone();
        this.scores = scores.clone();
        this.bos = bos;
        this.eos = eos;
        this.metaspace = usesMetaspace(this.pieces);
        this.idOfPiece = indexPieces(this.pieces);
        GgufTokenType[] types = types(tokenTypes, this.pieces.length);
        this.byteToken = byteTokens(idOfPiece, unknownToken(this.pieces, types));
        this.decoded = new byte[this.pieces.length][];
        this.decodedAfterBos = new byte[this.pieces.length][];
        for (int id = 0; id < this.pieces.length; id++) {
            GgufTokenType type = types == null ? null : types[id];
            decoded[id] = decodePiece(this.pieces[id], type);
            // llama2.c tests the piece, not its bytes: the byte token <0x20> keeps its space after BOS
            decodedAfterBos[id] = isByteToken(this.pieces[id], type) ? decoded[id] : dropLeadingSpace(decoded[id]);
        }
        this.specials = new SpecialTokens(specialPieces(this.pieces, types, bos, eos), this.pieces.length);
        for (int id : endOfGeneration) {
            if (id < -1 || id >= this.pieces.length) { // -1: not declared
                throw new IllegalArgumentException("end-of-generation id " + id + " outside vocabulary");
            }
        }
        this.endOfGeneration = specials.endOfGeneration(eos, endOfGeneration);
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public int bos() { return bos; }
    @Override public int eos() { return eos; }

    /** True when this vocabulary writes space as U+2581 (GGUF / Hugging Face style). */
    public boolean usesMetaspace() { return metaspace; }

    /** The merge score of a token. */
    public float score(int token) { return scores[checkToken(token)]; }

    @Override
    public String piece(int token) { return pieces[checkToken(token)]; }

    @Override
    public int[] endOfGeneration() { return endOfGeneration.clone(); }

    /** {@inheritDoc} BOS/EOS are added only when the vocabulary has them. */
    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        return withEnds(PairMerger.merge(symbols(text), this::bestMerge), addBos, addEos);
    }

    /** {@inheritDoc} BOS/EOS are added only when the vocabulary has them. */
    @Override
    public int[] encode(String text, boolean addBos, boolean addEos, IntPredicate specialAt) {
        return withEnds(encodeFragments(text, specialAt), addBos, addEos);
    }

    private int[] withEnds(int[] merged, boolean addBos, boolean addEos) {
        int extra = (addBos && bos >= 0 ? 1 : 0) + (addEos && eos >= 0 ? 1 : 0);
        int[] out = new int[merged.length + extra];
        int k = 0;
        if (addBos && bos >= 0) out[k++] = bos;
        System.arraycopy(merged, 0, out, k, merged.length);
        if (addEos && eos >= 0) out[out.length - 1] = eos;
        return out;
    }

    @Override
    public byte[] decode(int previous, int token) {
        checkToken(token);
        byte[] bytes = previous == bos && bos >= 0 ? decodedAfterBos[token] : decoded[token];
        return bytes.clone();
    }

    /** Special tokens as themselves, each plain stretch between them encoded on its own. */
    private int[] encodeFragments(String text, IntPredicate specialAt) {
        java.util.List<int[]> parts = new java.util.ArrayList<>();
        for (SpecialTokens.Fragment f : specials.split(text, specialAt)) {
            parts.add(f.special() ? new int[] {f.id()} : PairMerger.merge(symbols(f.text()), this::bestMerge));
        }
        return parts.stream().flatMapToInt(Arrays::stream).toArray();
    }

    /** Control and user-defined pieces by their text; BOS and EOS when the types are unknown (llama2.c). */
    private static Map<String, Integer> specialPieces(String[] pieces, GgufTokenType[] types, int bos, int eos) {
        Map<String, Integer> out = new HashMap<>();
        if (types == null) {
            for (int id : new int[] {bos, eos}) if (id >= 0 && !pieces[id].isEmpty()) out.putIfAbsent(pieces[id], id);
            return out;
        }
        for (int id = 0; id < pieces.length; id++) {
            if ((types[id] == GgufTokenType.CONTROL || types[id] == GgufTokenType.USER_DEFINED) && !pieces[id].isEmpty()) {
                out.putIfAbsent(pieces[id], id);
            }
        }
        return out;
    }

    /** Steps 1 and 2 of encode: dummy prefix, then one piece per code point or its byte-fallback tokens. */
    private int[] symbols(String text) {
        if (text.isEmpty()) return new int[0];
        String space = metaspace ? METASPACE : " ";
        String s = space + (metaspace ? text.replace(" ", METASPACE) : text);
        int[] out = new int[s.length() * 4]; // a UTF-16 unit yields at most 3 UTF-8 bytes, a pair 4
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            String ch = s.substring(i, i + Character.charCount(cp));
            i += ch.length();
            Integer id = idOfPiece.get(ch);
            if (id != null) {
                out[n++] = id;
            } else {
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) out[n++] = byteToken[b & 0xFF];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Step 3's rule: the concatenated piece must exist; higher score means lower priority value. */
    private PairMerger.Merge bestMerge(int left, int right) {
        Integer id = idOfPiece.get(pieces[left] + pieces[right]);
        if (id == null || !(scores[id] > NO_MERGE_SCORE)) return null;
        return new PairMerger.Merge(id, -(double) scores[id]);
    }

    private byte[] decodePiece(String piece, GgufTokenType type) {
        if (type == GgufTokenType.CONTROL) return NOTHING;
        if (isByteToken(piece, type)) return new byte[] {(byte) byteOfPiece(piece)};
        String text = metaspace ? piece.replace(METASPACE, " ") : piece;
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A {@code <0xXX>} piece, of type BYTE when types are known. */
    private static boolean isByteToken(String piece, GgufTokenType type) {
        return byteOfPiece(piece) >= 0 && (type == null || type == GgufTokenType.BYTE);
    }

    private static byte[] dropLeadingSpace(byte[] bytes) {
        return bytes.length > 0 && bytes[0] == ' ' ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    /** The byte a {@code <0xXX>} piece stands for, or -1 when the piece is not of that form. */
    static int byteOfPiece(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        int hi = Character.digit(piece.charAt(3), 16), lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private int checkToken(int token) {
        if (token < 0 || token >= pieces.length) {
            throw new IllegalArgumentException("token " + token + " outside vocabulary 0.." + (pieces.length - 1));
        }
        return token;
    }

    // ---- construction helpers ----

    private static void validate(String[] pieces, float[] scores, int[] tokenTypes, int bos, int eos) {
        if (pieces == null || pieces.length == 0) throw new IllegalArgumentException("pieces: empty vocabulary");
        if (scores == null || scores.length != pieces.length) {
            throw new IllegalArgumentException("scores: expected " + pieces.length + " entries (one per piece), got "
                    + (scores == null ? "null" : scores.length));
        }
        if (tokenTypes != null && tokenTypes.length != pieces.length) {
            throw new IllegalArgumentException("tokenTypes: expected " + pieces.length + " entries, got "
                    + tokenTypes.length);
        }
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] == null) throw new IllegalArgumentException("pieces[" + i + "] is null");
        }
        if (bos < -1 || bos >= pieces.length) throw new IllegalArgumentException("bos id " + bos + " outside vocabulary");
        if (eos < -1 || eos >= pieces.length) throw new IllegalArgumentException("eos id " + eos + " outside vocabulary");
    }

    /** Metaspace style when more pieces contain "▁" than a plain space. */
    private static boolean usesMetaspace(String[] pieces) {
        int meta = 0, plain = 0;
        for (String p : pieces) {
            if (p.contains(METASPACE)) meta++;
            if (p.indexOf(' ') >= 0) plain++;
        }
        return meta > plain;
    }

    /** piece -> id; a duplicated piece keeps its lowest id. */
    private static Map<String, Integer> indexPieces(String[] pieces) {
        Map<String, Integer> map = HashMap.newHashMap(pieces.length);
        for (int i = 0; i < pieces.length; i++) map.putIfAbsent(pieces[i], i);
        return map;
    }

    private static GgufTokenType[] types(int[] codes, int n) {
        if (codes == null) return null;
        GgufTokenType[] types = new GgufTokenType[n];
        for (int i = 0; i < n; i++) types[i] = GgufTokenType.of(codes[i], i);
        return types;
    }

    /** The unknown token: the first of type UNKNOWN, else the piece "<unk>", else 0. */
    private static int unknownToken(String[] pieces, GgufTokenType[] types) {
        if (types != null) {
            for (int i = 0; i < types.length; i++) if (types[i] == GgufTokenType.UNKNOWN) return i;
        }
        for (int i = 0; i < pieces.length; i++) if (pieces[i].equals("<unk>")) return i;
        return 0;
    }

    /** byte -> id of its {@code <0xXX>} piece (llama2.c: byte + 3), or the unknown token when absent. */
    private static int[] byteTokens(Map<String, Integer> idOfPiece, int unknown) {
        int[] ids = new int[256];
        for (int b = 0; b < 256; b++) {
            ids[b] = idOfPiece.getOrDefault(String.format("<0x%02X>", b), unknown);
        }
        return ids;
    }
}
