package dev.sequoia.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.MappedFiles;
import dev.sequoia.engine.format.gguf.GgufReader;
import dev.sequoia.engine.format.gguf.GgufTokenizers;
import dev.sequoia.engine.format.gguf.GgufWriter;
import dev.sequoia.engine.testing.Fixtures;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The real Llama 2 / Llama 3 vocabularies of {@code fixtures/tokenizers/} as the engine reads them: from the
 * Hugging Face tokenizer.json (gunzipped beside its tokenizer_config.json), from llama2.c's tokenizer.bin,
 * and written into GGUF tokenizer metadata the way llama.cpp's converter writes it.
 */
public final class RealVocabularies {
    private RealVocabularies() {}

    /** {@code tokenizers/<name>/tokenizer.json.gz} unpacked with its tokenizer_config.json into {@code dir}. */
    public static Path tokenizerJson(String name, Path dir) {
        try {
            Path folder = Files.createDirectories(dir.resolve(name));
            Path json = folder.resolve("tokenizer.json");
            if (!Files.exists(json)) {
                try (InputStream in = new GZIPInputStream(Files.newInputStream(
                        Fixtures.fixture("tokenizers/" + name + "/tokenizer.json.gz")))) {
                    Files.copy(in, json);
                }
                Files.copy(Fixtures.fixture("tokenizers/" + name + "/tokenizer_config.json"),
                        folder.resolve("tokenizer_config.json"));
            }
            return json;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The Llama 3 vocabulary as GGUF metadata (llama.cpp's convert_hf_to_gguf: byte-level tokens, merges,
     * token_type 1 for normal tokens and 3 for added special ones, pre "llama-bpe").
     */
    static Tokenizer llama3Gguf(Path tokenizerJson, int eos, Path dir, Arena arena) {
        return readGguf(llama3Metadata(tokenizerJson, eos), dir.resolve("llama3-vocab.gguf"), arena);
    }

    /** The Llama 3 vocabulary's GGUF tokenizer keys, as {@link #llama3Gguf} writes them. */
    public static Map<String, Object> llama3Metadata(Path tokenizerJson, int eos) {
        JsonNode root = read(tokenizerJson);
        Map<Integer, String> byId = new java.util.TreeMap<>();
        Map<Integer, Integer> types = new java.util.HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("model").path("vocab").fields(); it.hasNext(); ) {
            var e = it.next();
            byId.put(e.getValue().asInt(), e.getKey());
        }
        for (JsonNode a : root.path("added_tokens")) {
            byId.put(a.path("id").asInt(), a.path("content").asText());
            types.put(a.path("id").asInt(), GgufTokenType.CONTROL.code());
        }
        String[] tokens = new String[byId.size()];
        int[] tokenTypes = new int[tokens.length];
        byId.forEach((id, text) -> {
            tokens[id] = text;
            tokenTypes[id] = types.getOrDefault(id, GgufTokenType.NORMAL.code());
        });
        List<String> merges = new ArrayList<>();
        for (JsonNode m : root.path("model").path("merges")) merges.add(m.asText());
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put(GgufTokenizers.MODEL, "gpt2");
        meta.put(GgufTokenizers.PRE, "llama-bpe");
        meta.put(GgufTokenizers.TOKENS, tokens);
        meta.put(GgufTokenizers.TOKEN_TYPE, tokenTypes);
        meta.put(GgufTokenizers.MERGES, merges.toArray(String[]::new));
        meta.put(GgufTokenizers.BOS, 128000);
        meta.put(GgufTokenizers.EOS, eos);
        return meta;
    }

    /**
     * The Llama 2 vocabulary as GGUF metadata (llama.cpp's converter from tokenizer.model: the pieces with "▁",
     * Meta's scores, token_type unknown/control/byte/normal). Pieces come from tokenizer.json, scores from
     * tokenizer.bin (both exports of the same tokenizer.model).
     */
    static Tokenizer llama2Gguf(Path tokenizerJson, Path dir, Arena arena) {
        JsonNode vocab = read(tokenizerJson).path("model").path("vocab");
        String[] pieces = new String[vocab.size()];
        vocab.fields().forEachRemaining(e -> pieces[e.getValue().asInt()] = e.getKey());
        SentencePieceTokenizer bin = Llama2cTokenizerFile.read(Fixtures.fixture("tokenizers/llama2/tokenizer.bin"));
        float[] scores = new float[pieces.length];
        int[] types = new int[pieces.length];
        for (int id = 0; id < pieces.length; id++) {
            scores[id] = bin.score(id);
            types[id] = id == 0 ? GgufTokenType.UNKNOWN.code() : id <= 2 ? GgufTokenType.CONTROL.code()
                    : id <= 258 ? GgufTokenType.BYTE.code() : GgufTokenType.NORMAL.code();
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put(GgufTokenizers.MODEL, "llama");
        meta.put(GgufTokenizers.TOKENS, pieces);
        meta.put(GgufTokenizers.SCORES, scores);
        meta.put(GgufTokenizers.TOKEN_TYPE, types);
        meta.put(GgufTokenizers.BOS, 1);
        meta.put(GgufTokenizers.EOS, 2);
        meta.put(GgufTokenizers.UNK, 0);
        return readGguf(meta, dir.resolve("llama2-vocab.gguf"), arena);
    }

    /** Writes a tensor-less GGUF holding {@code metadata} and reads its tokenizer back. */
    static Tokenizer readGguf(Map<String, Object> metadata, Path file, Arena arena) {
        try {
            new GgufWriter(32).write(file, metadata, List.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return GgufTokenizers.read(GgufReader.read(file, MappedFiles.map(file, arena)));
    }

    private static JsonNode read(Path json) {
        try {
            return new ObjectMapper().readTree(json.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
