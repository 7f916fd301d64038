package dev.sequoia.engine.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** tokenizer.json files written here in both Llama styles, and the errors for ones that cannot work. */
class TokenizerJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    // ---- Llama 2 style: tok512's vocabulary exported the way Hugging Face converts SentencePiece ----

    @Test
    void llama2StyleFromTok512EncodesTheGoldenIds() throws IOException {
        Tokenizer t = TokenizerJson.read(write("tokenizer.json", llama2Style(tok512())));
        assertInstanceOf(SentencePieceTokenizer.class, t);
        assertEquals(1, t.bos());
        assertEquals(2, t.eos());
        for (GoldenTokenization c : GoldenTokenization.all()) {
            assertArrayEquals(c.idsWithBos(), t.encode(c.text(), true, false), c.toString());
            assertEquals(c.decoded(), t.decodeAll(1, Arrays.copyOfRange(c.idsWithBos(), 1, c.idsWithBos().length)));
        }
        assertEquals(0, t.decode(-1, 1).length, "added special tokens are control tokens: no text");
    }

    @Test
    void llama2StyleWithoutMergesFallsBackToVocabularyOrder() throws IOException {
        ObjectNode root = llama2Style(tok512());
        ((ObjectNode) root.path("model")).putArray("merges");
        Tokenizer t = TokenizerJson.read(write("tokenizer.json", root));
        // tok512's scores fall with the id, so vocabulary order gives the same merges
        for (GoldenTokenization c : GoldenTokenization.all()) assertArrayEquals(c.idsWithBos(), t.encode(c.text(), true, false));
    }

    // ---- Llama 3 style: byte-level, Split regex, merges as pairs, template BOS ----

    @Test
    void llama3StyleEncodesByMergeRankAfterTheSplit() throws IOException {
        Tokenizer t = TokenizerJson.read(write("tokenizer.json", llama3Style()));
        assertInstanceOf(ByteLevelBpeTokenizer.class, t);
        int bot = 259, eot = 260, end = 261;
        assertEquals(bot, t.bos());
        assertEquals(end, t.eos(), "no tokenizer_config.json: the usual name <|end_of_text|>");
        // "the" is no token and no rule merges "t he": [t, he]; " then" -> Ġt he n -> Ġthe n
        String text = "the then<|eot_id|>";
        assertArrayEquals(new int[] {bot, 't', 257, 258, 'n', eot}, t.encode(text, true, false, true));
        assertEquals(text, t.decodeAll(-1, t.encode(text, false, false)));
    }

    @Test
    void tokenizerConfigBesideTheFileNamesEos() throws IOException {
        Path file = write("tokenizer.json", llama3Style());
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<|begin_of_text|>\", \"eos_token\": {\"content\": \"<|eot_id|>\"}}");
        Tokenizer t = TokenizerJson.read(file);
        assertEquals(259, t.bos());
        assertEquals(260, t.eos());
    }

    @Test
    void byteLevelWithoutSplitUsesGpt2Regex() throws IOException {
        ObjectNode root = llama3Style();
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
        ((ObjectNode) root.path("model")).withArray("merges").removeAll();
        ObjectNode vocab = (ObjectNode) root.path("model").path("vocab");
        vocab.put("Ġ12345", 262);
        Tokenizer t = TokenizerJson.read(write("tokenizer.json", root));
        // GPT-2 keeps " 12345" whole (a token, and ignore_merges); Llama 3 would split 123|45
        assertArrayEquals(new int[] {'a', 262}, t.encode("a 12345", false, false));
    }

    // ---- errors ----

    @Test
    void rejectsANonBpeModelNamingTheField() throws IOException {
        ObjectNode root = llama3Style();
        ((ObjectNode) root.path("model")).put("type", "WordPiece");
        Path f = write("tokenizer.json", root);
        var e = assertThrows(ModelFormatException.class, () -> TokenizerJson.read(f));
        assertEquals(f, e.file());
        assertTrue(e.getMessage().contains("model.type") && e.getMessage().contains("WordPiece"), e.getMessage());
    }

    @Test
    void rejectsMalformedJson() throws IOException {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, "{\"model\": {\"type\": \"BPE\", ");
        var e = assertThrows(ModelFormatException.class, () -> TokenizerJson.read(f));
        assertTrue(e.getMessage().contains("malformed JSON"), e.getMessage());
    }

    @Test
    void rejectsAVocabularyWithAHole() throws IOException {
        ObjectNode root = llama3Style();
        ((ObjectNode) root.path("model").path("vocab")).remove("a");
        var e = assertThrows(ModelFormatException.class, () -> TokenizerJson.read(write("tokenizer.json", root)));
        assertTrue(e.getMessage().contains("id 97 has no token"), e.getMessage());
    }

    @Test
    void rejectsMergesThatAreNotPairsOrNotInTheVocabulary() throws IOException {
        ObjectNode bad = llama3Style();
        ((ArrayNode) bad.path("model").path("merges")).insert(0, 42);
        var shape = assertThrows(ModelFormatException.class, () -> TokenizerJson.read(write("a.json", bad)));
        assertTrue(shape.getMessage().contains("model.merges[0]"), shape.getMessage());

        ObjectNode unknown = llama3Style();
        ((ArrayNode) unknown.path("model").path("merges")).insertArray(0).add("Ġ").add("zz");
        var missing = assertThrows(ModelFormatException.class, () -> TokenizerJson.read(write("b.json", unknown)));
        assertTrue(missing.getMessage().contains("'zz' is not in the vocabulary"), missing.getMessage());
    }

    @Test
    void rejectsALlama2MergeWhoseResultIsNotAPiece() throws IOException {
        ObjectNode root = llama2Style(tok512());
        ((ArrayNode) root.path("model").path("merges")).add("\u2581q zz");
        var e = assertThrows(ModelFormatException.class, () -> TokenizerJson.read(write("tokenizer.json", root)));
        assertTrue(e.getMessage().contains("model.merges[") && e.getMessage().contains("zz"), e.getMessage());
    }

    @Test
    void rejectsAFileWhoseStyleCannotBeTold() throws IOException {
        ObjectNode root = llama3Style();
        root.remove("pre_tokenizer");
        root.remove("decoder");
        var e = assertThrows(ModelFormatException.class, () -> TokenizerJson.read(write("tokenizer.json", root)));
        assertTrue(e.getMessage().contains("pre_tokenizer/decoder"), e.getMessage());
    }

    // ---- builders ----

    private static SentencePieceTokenizer tok512() {
        return Llama2cTokenizerFile.read(Fixtures.tokenizer(), 512);
    }

    /**
     * Llama 2's tokenizer.json shape: vocab in "▁" spelling, ids 0..2 as {@code <unk> <s> </s>}, and merges
     * made as Hugging Face's converter makes them: every split of a piece into two pieces, ordered by the
     * merged piece's score.
     */
    static ObjectNode llama2Style(SentencePieceTokenizer sp) {
        int n = sp.vocabSize();
        String[] pieces = new String[n];
        for (int i = 0; i < n; i++) pieces[i] = sp.piece(i).replace(' ', '\u2581');
        pieces[0] = "<unk>";
        pieces[1] = "<s>";
        pieces[2] = "</s>";
        List<String> vocabList = Arrays.asList(pieces);
        List<Integer> byScore = new ArrayList<>();
        for (int i = 3; i < n; i++) byScore.add(i);
        byScore.sort(Comparator.comparingDouble((Integer i) -> -sp.score(i)).thenComparing(i -> i));

        ObjectNode root = JSON.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < 3; i++) added.addObject().put("id", i).put("content", pieces[i]).put("special", true);
        ArrayNode normalizers = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
        normalizers.addObject().put("type", "Prepend").put("prepend", "\u2581");
        normalizers.addObject().put("type", "Replace").put("content", "\u2581").putObject("pattern").put("String", " ");
        root.putNull("pre_tokenizer");
        ObjectNode template = root.putObject("post_processor").put("type", "TemplateProcessing");
        template.putArray("single").addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        ((ArrayNode) template.path("single")).addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode decoders = root.putObject("decoder").put("type", "Sequence").putArray("decoders");
        decoders.addObject().put("type", "ByteFallback");
        ObjectNode model = root.putObject("model").put("type", "BPE").put("unk_token", "<unk>").put("byte_fallback", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < n; i++) vocab.put(pieces[i], i);
        ArrayNode merges = model.putArray("merges");
        for (int id : byScore) {
            String p = pieces[id];
            for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                if (vocabList.contains(p.substring(0, k)) && vocabList.contains(p.substring(k))) {
                    merges.add(p.substring(0, k) + " " + p.substring(k));
                }
            }
        }
        return root;
    }

    /**
     * A small Llama 3 shaped file: ids 0..255 spell the bytes, 256 "Ġt", 257 "he", 258 "Ġthe", then the added
     * tokens 259 {@code <|begin_of_text|>}, 260 {@code <|eot_id|>}, 261 {@code <|end_of_text|>}.
     */
    static ObjectNode llama3Style() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<|begin_of_text|>", "<|eot_id|>", "<|end_of_text|>"};
        for (int i = 0; i < specials.length; i++) {
            added.addObject().put("id", 259 + i).put("content", specials[i]).put("special", true);
        }
        ArrayNode pre = root.putObject("pre_tokenizer").put("type", "Sequence").putArray("pretokenizers");
        pre.addObject().put("type", "Split").put("behavior", "Isolated").put("invert", false)
                .putObject("pattern").put("Regex", ByteLevelBpeTokenizer.LLAMA3_SPLIT);
        pre.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", false);
        ArrayNode processors = root.putObject("post_processor").put("type", "Sequence").putArray("processors");
        processors.addObject().put("type", "ByteLevel");
        ObjectNode template = processors.addObject().put("type", "TemplateProcessing");
        template.putArray("single").addObject().putObject("SpecialToken").put("id", specials[0]).put("type_id", 0);
        ((ArrayNode) template.path("single")).addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        root.putObject("decoder").put("type", "ByteLevel");
        ObjectNode model = root.putObject("model").put("type", "BPE").put("ignore_merges", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        vocab.put("Ġt", 256).put("he", 257).put("Ġthe", 258);
        ArrayNode merges = model.putArray("merges");
        merges.addArray().add("Ġ").add("t");
        merges.addArray().add("h").add("e");
        merges.addArray().add("Ġt").add("he");
        return root;
    }

    private Path write(String name, ObjectNode root) throws IOException {
        Path f = dir.resolve(name);
        JSON.writeValue(f.toFile(), root);
        return f;
    }
}
