package dev.sequoia.engine.format.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sequoia.engine.format.FileType;
import dev.sequoia.engine.format.FileType.Role;
import dev.sequoia.engine.format.TensorNames;
import dev.sequoia.engine.format.TensorPlan;
import dev.sequoia.engine.format.gguf.GgufLlamaConfig;
import dev.sequoia.engine.format.gguf.GgufTokenizers;
import dev.sequoia.engine.format.gguf.GgufWriter;
import dev.sequoia.engine.format.safetensors.SafetensorsModelReader;
import dev.sequoia.engine.format.safetensors.SafetensorsWriter;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.tensor.TensorType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The seeded synthetic-model generator: from a shape ({@link ShapePresets} or a {@link LlamaConfig}), a
 * tensor type and a seed, writes a complete, self-contained Llama model as GGUF (with a
 * {@link SyntheticVocabulary} stored in the file) or as a Hugging Face folder (config.json,
 * model.safetensors, tokenizer.json). The same shape and seed give the same model in both formats: the
 * safetensors q/k rows are the GGUF rows permuted into HF's halves layout. Norms are always F32.
 * Writing streams row by row: memory use does not grow with the model.
 */
public final class SyntheticModels {
    /** Embedding and classifier scale: large enough that logits are far from ties. */
    private static final double EMBEDDING_STD = 1.0;
    private static final double CLASSIFIER_GAIN = 3.0;

    private final LlamaConfig config;
    private final FileType type;
    private final SyntheticWeights weights;

    public SyntheticModels(LlamaConfig config, TensorType type, long seed) {
        this(config, FileType.of(type), seed);
    }

    /** A model whose matrices take the types llama.cpp's quantizer would give a file of {@code type}. */
    public SyntheticModels(LlamaConfig config, FileType type, long seed) {
        if (config.ropeLayout() != RopeLayout.INTERLEAVED) {
            throw new IllegalArgumentException("synthetic models are generated in the interleaved layout");
        }
        if (config.ropeDim() != config.headDim()) {
            throw new IllegalArgumentException("synthetic models rotate whole heads: ropeDim must equal headDim "
                    + config.headDim() + ", got " + config.ropeDim());
        }
        this.config = config;
        this.type = type;
        this.weights = new SyntheticWeights(seed);
    }

    public static SyntheticModels ofPreset(String shape, TensorType type, long seed) {
        return new SyntheticModels(ShapePresets.load(shape), type, seed);
    }

    public static SyntheticModels ofPreset(String shape, FileType type, long seed) {
        return new SyntheticModels(ShapePresets.load(shape), type, seed);
    }

    /** Writes a GGUF v3 file. */
    public void writeGguf(Path file) throws IOException {
        new GgufWriter(32).write(file, ggufMetadata(), tensors(TensorNames.GGUF, false));
    }

    /**
     * Writes only the GGUF structure and extends the file to its full size without writing the data (a
     * sparse file whose weights read as zeros): for measuring load cost of huge shapes without generating them.
     */
    public void writeGgufLayoutOnly(Path file) throws IOException {
        GgufWriter w = new GgufWriter(32);
        List<TensorPlan> plans = tensors(TensorNames.GGUF, false);
        byte[] header = w.header(ggufMetadata(), plans);
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(0);
            raf.write(header);
            raf.setLength(w.fileSize(header, plans));
        }
    }

    /** Writes a Hugging Face model folder (created if needed). */
    public void writeSafetensors(Path dir) throws IOException {
        if (type.base().isQuantized()) {
            throw new IllegalArgumentException("safetensors models are F32, F16 or BF16, not " + type);
        }
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        json.writeValue(dir.resolve(SafetensorsModelReader.CONFIG).toFile(), HfFiles.config(config, type.base()));
        json.writeValue(dir.resolve(SafetensorsModelReader.TOKENIZER).toFile(),
                HfFiles.tokenizer(SyntheticVocabulary.generate(config.vocabSize())));
        SafetensorsWriter.write(dir.resolve(SafetensorsModelReader.SINGLE), tensors(TensorNames.HF, true));
    }

    /** Every tensor in file order; {@code halves} permutes q/k rows into HF's rotary layout. */
    List<TensorPlan> tensors(TensorNames names, boolean halves) {
        TensorNames g = TensorNames.GGUF; // canonical names seed the random streams in every format
        int dim = config.dim(), kv = config.kvDim(), hidden = config.hiddenDim(), vocab = config.vocabSize();
        List<TensorPlan> out = new ArrayList<>();
        out.add(new TensorPlan(names.embedding(), type.typeFor(Role.EMBEDDING, 0, config, dim), new long[]{vocab, dim},
                weights.matrix(g.embedding(), EMBEDDING_STD)));
        for (int l = 0; l < config.layers(); l++) {
            out.add(norm(names.layer(l, names.attnNorm()), g.layer(l, g.attnNorm())));
            out.add(projection(Role.ATTN_Q, l, names.layer(l, names.wq()), g.layer(l, g.wq()), dim, dim, halves));
            out.add(projection(Role.ATTN_K, l, names.layer(l, names.wk()), g.layer(l, g.wk()), kv, dim, halves));
            out.add(projection(Role.ATTN_V, l, names.layer(l, names.wv()), g.layer(l, g.wv()), kv, dim, false));
            out.add(projection(Role.ATTN_OUTPUT, l, names.layer(l, names.wo()), g.layer(l, g.wo()), dim, dim, false));
            out.add(norm(names.layer(l, names.ffnNorm()), g.layer(l, g.ffnNorm())));
            out.add(projection(Role.FFN_GATE, l, names.layer(l, names.gate()), g.layer(l, g.gate()), hidden, dim, false));
            out.add(projection(Role.FFN_DOWN, l, names.layer(l, names.down()), g.layer(l, g.down()), dim, hidden, false));
            out.add(projection(Role.FFN_UP, l, names.layer(l, names.up()), g.layer(l, g.up()), hidden, dim, false));
        }
        out.add(norm(names.finalNorm(), g.finalNorm()));
        out.add(new TensorPlan(names.classifier(), type.typeFor(Role.OUTPUT, 0, config, dim), new long[]{vocab, dim},
                weights.matrix(g.classifier(), CLASSIFIER_GAIN / Math.sqrt(dim))));
        return out;
    }
    private TensorPlan projection(Role role, int layer, String name, String canonical, int rows, int cols, boolean halves) {
        var source = weights.matrix(canonical, 1 / Math.sqrt(cols));
        if (halves) source = SyntheticWeights.halvesLayout(source, config.headDim());
        return new TensorPlan(name, type.typeFor(role, layer, config, cols), new long[]{rows, cols}, source);
    }

    private TensorPlan norm(String name, String canonical) {
        return new TensorPlan(name, TensorType.F32, new long[]{config.dim()}, weights.norm(canonical));
    }

    private Map<String, Object> ggufMetadata() {
        Map<String, Object> m = configMetadata(config, "sequoia-synthetic");
        m.put(GgufWriter.FILE_TYPE, type.llamaFtype());
        SyntheticVocabulary v = SyntheticVocabulary.generate(config.vocabSize());
        m.put(GgufTokenizers.MODEL, "llama");
        m.put(GgufTokenizers.TOKENS, v.pieces());
        m.put(GgufTokenizers.SCORES, v.scores());
        m.put(GgufTokenizers.TOKEN_TYPE, v.tokenTypes());
        m.put(GgufTokenizers.BOS, SyntheticVocabulary.BOS);
        m.put(GgufTokenizers.EOS, SyntheticVocabulary.EOS);
        m.put(GgufTokenizers.UNK, SyntheticVocabulary.UNK);
        return m;
    }

    /** The GGUF metadata of a Llama configuration (architecture, shape, rope, epsilon), without a tokenizer. */
    static Map<String, Object> configMetadata(LlamaConfig config, String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufLlamaConfig.ARCH);
        m.put("general.name", name);
        m.put("llama.context_length", config.contextLength());
        m.put("llama.embedding_length", config.dim());
        m.put("llama.block_count", config.layers());
        m.put("llama.feed_forward_length", config.hiddenDim());
        m.put("llama.attention.head_count", config.heads());
        m.put("llama.attention.head_count_kv", config.kvHeads());
        m.put("llama.rope.dimension_count", config.ropeDim());
        m.put("llama.rope.freq_base", config.ropeTheta());
        m.put("llama.attention.layer_norm_rms_epsilon", config.rmsEps());
        if (config.ropeScaling() != null) {
            var s = config.ropeScaling();
            m.put(GgufLlamaConfig.SCALING_TYPE, "llama3");
            m.put(GgufLlamaConfig.SCALING_FACTOR, (float) s.factor());
            m.put(GgufLlamaConfig.SCALING_LOW, (float) s.lowFreqFactor());
            m.put(GgufLlamaConfig.SCALING_HIGH, (float) s.highFreqFactor());
            m.put(GgufLlamaConfig.SCALING_ORIGINAL_CONTEXT, s.originalContextLength());
        }
        return m;
    }
}
