package dev.sequoia.engine.format.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.LlamaTensorMapper;
import dev.sequoia.engine.format.MappedFiles;
import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.TensorNames;
import dev.sequoia.engine.format.TensorSlice;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tokenizer.Tokenizer;
import dev.sequoia.engine.tokenizer.TokenizerJson;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Loads a Hugging Face Llama model folder: {@code config.json}, the weights in {@code model.safetensors} or
 * in the shards named by {@code model.safetensors.index.json}, and {@code tokenizer.json} when present.
 * Every shard is mapped into the caller's arena; weights are views. q/k rows stay in HF's permuted order
 * (the config says {@code HALVES}). A missing {@code lm_head.weight} means tied embeddings.
 */
public final class SafetensorsModelReader {
    public static final String CONFIG = "config.json";
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    public static final String TOKENIZER = "tokenizer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsModelReader() {}

    public static Model read(Path dir, Arena arena) {
        Path configFile = dir.resolve(CONFIG);
        JsonNode configJson = json(configFile);
        LlamaConfig config = HfLlamaConfig.read(configFile, configJson);
        Map<String, TensorSlice> tensors = tensors(dir, arena);
        if (HfLlamaConfig.tied(configJson)) tensors.remove(TensorNames.HF.classifier());
        LlamaWeights weights = new LlamaTensorMapper(dir, config, tensors, TensorNames.HF).map();
        Path tokenizerFile = dir.resolve(TOKENIZER);
        Tokenizer tokenizer = Files.isRegularFile(tokenizerFile) ? TokenizerJson.read(tokenizerFile) : null;
        return new Model(dir, "safetensors", config, weights, tokenizer, TensorSlice.locations(tensors),
                chatTemplate(dir));
    }

    /** The {@code chat_template} of a {@code tokenizer_config.json} beside the model, or null. */
    private static String chatTemplate(Path dir) {
        Path config = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(config)) return null;
        JsonNode t = json(config).path("chat_template");
        return t.isTextual() ? t.asText() : null;
    }

    private static Map<String, TensorSlice> tensors(Path dir, Arena arena) {
        Map<String, TensorSlice> all = new LinkedHashMap<>();
        for (Path shard : shards(dir)) {
            for (var e : SafetensorsFile.read(shard, MappedFiles.map(shard, arena)).entrySet()) {
                if (all.put(e.getKey(), e.getValue()) != null) {
                    throw new ModelFormatException(shard, "tensor '" + e.getKey() + "' also appears in another shard");
                }
            }
        }
        return all;
    }

    /** model.safetensors, else the distinct files of the index's weight_map (inside the folder). */
    private static Set<Path> shards(Path dir) {
        if (Files.isRegularFile(dir.resolve(SINGLE))) return Set.of(dir.resolve(SINGLE));
        Path index = dir.resolve(INDEX);
        if (!Files.isRegularFile(index)) {
            throw new ModelFormatException(dir, "neither " + SINGLE + " nor " + INDEX + " in the folder");
        }
        JsonNode map = json(index).path("weight_map");
        if (!map.isObject() || map.isEmpty()) throw new ModelFormatException(index, "'weight_map' missing or empty");
        Set<Path> shards = new LinkedHashSet<>();
        for (JsonNode f : map) {
            Path shard = dir.resolve(f.asText("")).normalize();
            if (!f.isTextual() || !shard.startsWith(dir.normalize()) || shard.equals(dir.normalize())) {
                throw new ModelFormatException(index, "weight_map names shard " + f + " outside the model folder");
            }
            shards.add(shard);
        }
        return shards;
    }

    static JsonNode json(Path file) {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file, "missing");
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new ModelFormatException(file, "not a JSON object");
            return n;
        } catch (JacksonException e) {
            throw new ModelFormatException(file, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
