package dev.sequoia.engine.format.synthetic;

import dev.sequoia.engine.format.FileType;
import dev.sequoia.engine.format.FileType.Role;
import dev.sequoia.engine.format.TensorNames;
import dev.sequoia.engine.format.TensorPlan;
import dev.sequoia.engine.format.TensorPlan.RowSource;
import dev.sequoia.engine.format.gguf.GgufTokenizers;
import dev.sequoia.engine.format.gguf.GgufWriter;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import dev.sequoia.engine.tokenizer.SentencePieceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * A planted model: a large shape whose function is a small real model's. This is a benchmark and
 * demonstration model, not a trained large model: every byte is streamed and every FLOP computed as in a
 * model of the large shape, while the output is the small model's, so a draft of the small model really
 * agrees with it.
 *
 * <p>How (d = width, h = head size, r = h_large / h_small):
 * <ul>
 * <li>The residual stream: the small model's in coordinates {@code [0, d_small)}, every other coordinate
 *     exactly zero. The embedding and classifier are the small ones padded with zero columns.
 * <li>RMSNorm over d_large sees the same sum of squares, so {@code ss/d_l + eps_l = (d_s/d_l)(ss/d_s + eps_s)}
 *     when {@code eps_l = eps_s d_s/d_l}; then {@code 1/rms_l = sqrt(d_l/d_s)/rms_s}, which norm weights
 *     {@code w_s sqrt(d_s/d_l)} undo.
 * <li>Attention: small query head i sits in its own large head (see {@link HeadMap}); small rotary pair p
 *     (frequency {@code base^(-2p/h_s)}) sits at large pair {@code p r} (frequency {@code base^(-2pr/h_l)}, the
 *     same), in llama.cpp's interleaved layout, so the rope base is unchanged. The keys of a planted kv head are
 *     zero in every other pair, so no other dimension enters a score; the queries carry a factor
 *     {@code sqrt(r)} for the larger head's {@code 1/sqrt(h_l)} score scale. Values sit in the first h_s
 *     dimensions of the head, which {@code wo} reads.
 * <li>Feed-forward: the small hidden units are the first f_s.
 * <li>Extra heads, hidden units and layers hold seeded random weights; their outputs meet exact zeros in
 *     {@code wo}/{@code w2}, whose rows beyond d_small are zero, so extra layers are identities. Zeros stay
 *     exact in every type: a quantized block of zeros decodes to zeros.
 * </ul>
 * The vocabulary and tokenizer are the small model's; the rope base and scaling its too.
 */
public final class PlantedModels {
    private static final ScalarMatMul DEQUANT = new ScalarMatMul();

    private final LlamaConfig small;
    private final LlamaConfig config;
    private final FileType type;
    private final SyntheticWeights random;
    private final SmallWeights weights;
    private final SentencePieceTokenizer tokenizer;
    private final HeadMap heads;
    private final int ratio;
    private final float normScale;
    private final float queryScale;

    /**
     * @param shape the large shape (its vocabulary, context, rope base and epsilon are replaced by the small
     *              model's)
     * @param smallModel a loaded small model with a SentencePiece tokenizer of exactly its vocabulary
     * @throws IllegalArgumentException when the small model does not fit the shape, naming the dimension
     */
    public PlantedModels(LlamaConfig shape, Model smallModel, TensorType type, long seed) {
        this(shape, smallModel, FileType.of(type), seed);
    }

    /**
     * As above, with each matrix of the type {@code type} gives its role (the K-quant mixes choose per tensor as
     * llama.cpp's quantizer does, so a planted Q4_K_M target holds Q4_K and Q6_K matrices like a real one).
     */
    public PlantedModels(LlamaConfig shape, Model smallModel, FileType type, long seed) {
        this.small = smallModel.config();
        this.tokenizer = tokenizerOf(smallModel);
        this.config = plantedConfig(shape, small);
        this.heads = HeadMap.of(small, config);
        this.ratio = config.headDim() / small.headDim();
        this.normScale = (float) Math.sqrt((double) small.dim() / config.dim());
        this.queryScale = (float) Math.sqrt(ratio);
        this.type = type;
        this.random = new SyntheticWeights(seed);
        this.weights = SmallWeights.of(smallModel);
    }

    /** The planted model's configuration, checking that {@code small} fits in {@code shape}. */
    public static LlamaConfig plantedConfig(LlamaConfig shape, LlamaConfig small) {
        fits("dim", small.dim(), shape.dim());
        fits("hidden_dim", small.hiddenDim(), shape.hiddenDim());
        fits("layers", small.layers(), shape.layers());
        fits("heads", small.heads(), shape.heads());
        fits("head size", small.headDim(), shape.headDim());
        if (shape.headDim() % small.headDim() != 0) {
            throw new IllegalArgumentException("the shape's head size " + shape.headDim()
                    + " is not a multiple of the small model's head size " + small.headDim());
        }
        if (small.ropeDim() != small.headDim()) {
            throw new IllegalArgumentException("the small model rotates " + small.ropeDim() + " of " + small.headDim()
                    + " head dimensions; planting needs RoPE over whole heads");
        }
        float eps = (float) (small.rmsEps() * ((double) small.dim() / shape.dim()));
        LlamaConfig planted = new LlamaConfig(shape.dim(), shape.hiddenDim(), shape.layers(), shape.heads(),
                shape.kvHeads(), small.vocabSize(), small.contextLength(), eps, small.ropeTheta(), shape.headDim(),
                RopeLayout.INTERLEAVED, small.ropeScaling());
        HeadMap.of(small, planted); // fails when the kv heads do not fit
        return planted;
    }

    private static void fits(String field, int smallValue, int largeValue) {
        if (smallValue > largeValue) {
            throw new IllegalArgumentException("the small model's " + field + " " + smallValue
                    + " is larger than the shape's " + largeValue);
        }
    }

    private static SentencePieceTokenizer tokenizerOf(Model m) {
        if (!(m.tokenizer() instanceof SentencePieceTokenizer t)) {
            throw new IllegalArgumentException(m.tokenizer() == null
                    ? m.source() + " has no tokenizer: give its tokenizer (--tokenizer)"
                    : m.source() + ": planting copies SentencePiece (Llama 2 style) tokenizers only");
        }
        if (t.vocabSize() != m.config().vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + t.vocabSize() + " tokens but the model "
                    + m.source() + " has a vocabulary of " + m.config().vocabSize());
        }
        return t;
    }

    public LlamaConfig config() { return config; }

    /** Bytes of the GGUF file {@link #writeGguf} writes. */
    public long fileSize() {
        GgufWriter w = new GgufWriter(32);
        List<TensorPlan> plans = tensors();
        return w.fileSize(w.header(metadata(), plans), plans);
    }

    /**
     * Writes the GGUF file through a temporary file in the same folder, renamed into place when complete:
     * a failure leaves nothing behind. Fails before writing when the folder's disk lacks the space.
     *
     * @param progress told the bytes written so far, after each tensor
     */
    public void writeGguf(Path out, LongConsumer progress) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        requireSpace(out, fileSize(), Files.getFileStore(dir).getUsableSpace());
        // a partial file of this process (not createTempFile, whose owner-only permissions the model would keep)
        Path partial = dir.resolve(out.getFileName() + "." + ProcessHandle.current().pid() + ".partial");
        try {
            new GgufWriter(32).write(partial, metadata(), tensors(), progress);
            Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** Fails with the sizes when {@code usable} bytes cannot hold a file of {@code needed} bytes. */
    static void requireSpace(Path out, long needed, long usable) {
        if (needed > usable) {
            throw new IllegalArgumentException(String.format("not enough disk for %s: the planted model needs %.2f GB,"
                    + " %.2f GB are free", out, needed / 1e9, usable / 1e9));
        }
    }

    Map<String, Object> metadata() {
        Map<String, Object> m = SyntheticModels.configMetadata(config, "sequoia-planted (benchmark model, not trained)");
        m.put(GgufWriter.FILE_TYPE, type.llamaFtype());
        int n = tokenizer.vocabSize();
        String[] pieces = new String[n];
        float[] scores = new float[n];
        for (int t = 0; t < n; t++) {
            pieces[t] = tokenizer.piece(t);
            scores[t] = tokenizer.score(t);
        }
        m.put(GgufTokenizers.MODEL, "llama");
        m.put(GgufTokenizers.TOKENS, pieces);
        m.put(GgufTokenizers.SCORES, scores);
        m.put(GgufTokenizers.BOS, tokenizer.bos());
        m.put(GgufTokenizers.EOS, tokenizer.eos());
        return m;
    }

    /** Every tensor in GGUF order. */
    List<TensorPlan> tensors() {
        TensorNames g = TensorNames.GGUF;
        int dim = config.dim(), kv = config.kvDim(), hidden = config.hiddenDim(), vocab = config.vocabSize();
        List<TensorPlan> out = new ArrayList<>();
        out.add(new TensorPlan(g.embedding(), type.typeFor(Role.EMBEDDING, 0, config, dim), new long[]{vocab, dim},
                padded(weights.embedding)));
        for (int l = 0; l < config.layers(); l++) {
            SmallLayer s = l < small.layers() ? weights.layers.get(l) : null;
            String name = g.layerPrefix().formatted(l);
            out.add(norm(name + g.attnNorm(), s == null ? null : s.attnNorm));
            out.add(matrix(name + g.wq(), Role.ATTN_Q, l, dim, dim, s == null ? null : queryRows(s.wq)));
            out.add(matrix(name + g.wk(), Role.ATTN_K, l, kv, dim, s == null ? null : keyRows(s.wk)));
            out.add(matrix(name + g.wv(), Role.ATTN_V, l, kv, dim, s == null ? null : valueRows(s.wv)));
            out.add(zeroOr(name + g.wo(), Role.ATTN_OUTPUT, l, dim, dim, s == null ? null : outputRows(s.wo)));
            out.add(norm(name + g.ffnNorm(), s == null ? null : s.ffnNorm));
            out.add(matrix(name + g.gate(), Role.FFN_GATE, l, hidden, dim, s == null ? null : firstRows(s.w1)));
            out.add(zeroOr(name + g.down(), Role.FFN_DOWN, l, dim, hidden, s == null ? null : firstRows(s.w2)));
            out.add(matrix(name + g.up(), Role.FFN_UP, l, hidden, dim, s == null ? null : firstRows(s.w3)));
        }
        out.add(norm(g.finalNorm(), weights.finalNorm));
        out.add(new TensorPlan(g.classifier(), type.typeFor(Role.OUTPUT, 0, config, dim), new long[]{vocab, dim},
                padded(weights.classifier)));
        return out;
    }
    /** A projection whose planted rows come from {@code planted} (null: not planted) and the rest are random. */
    private TensorPlan matrix(String name, Role role, int layer, int rows, int cols, PlantedRows planted) {
        RowSource noise = random.matrix(name, 1 / Math.sqrt(cols));
        return new TensorPlan(name, type.typeFor(role, layer, config, cols), new long[]{rows, cols}, (row, out) -> {
            if (planted == null || !planted.fill(row, out)) noise.fill(row, out);
        });
    }

    /** wo or w2: the planted rows, every other entry exactly zero (an extra layer's is all zeros). */
    private TensorPlan zeroOr(String name, Role role, int layer, int rows, int cols, PlantedRows planted) {
        return new TensorPlan(name, type.typeFor(role, layer, config, cols), new long[]{rows, cols}, (row, out) -> {
            if (planted == null || !planted.fill(row, out)) Arrays.fill(out, 0f);
        });
    }

    /** Norm weights: the small ones times sqrt(d_s/d_l) in the first d_s entries, random near 1 beyond. */
    private TensorPlan norm(String name, float[] smallNorm) {
        RowSource noise = random.norm(name);
        return new TensorPlan(name, TensorType.F32, new long[]{config.dim()}, (row, out) -> {
            noise.fill(row, out);
            if (smallNorm != null) for (int i = 0; i < smallNorm.length; i++) out[i] = smallNorm[i] * normScale;
        });
    }

    /** Fills a planted row and returns true, or returns false for a row the caller fills. */
    @FunctionalInterface
    private interface PlantedRows {
        boolean fill(int row, float[] out);
    }

    /** Row t is the small row t followed by zeros; rows beyond the small matrix are not planted. */
    private static PlantedRows firstRows(float[][] m) {
        return (row, out) -> {
            if (row >= m.length) return false;
            copyPadded(m[row], 1f, out);
            return true;
        };
    }

    /** The embedding or classifier: the small rows padded with zero columns. */
    private static RowSource padded(float[][] m) {
        return (row, out) -> {
            if (row < m.length) copyPadded(m[row], 1f, out);
            else Arrays.fill(out, 0f);
        };
    }

    private static void copyPadded(float[] src, float scale, float[] out) {
        Arrays.fill(out, src.length, out.length, 0f);
        for (int i = 0; i < src.length; i++) out[i] = src[i] * scale;
    }

    /** wq: a planted head's rotary pair p r holds small pair p (times sqrt(r)); its other pairs are random. */
    private PlantedRows queryRows(float[][] wq) {
        return (row, out) -> {
            int head = row / config.headDim(), smallHead = heads.smallQuery(head);
            int smallRow = smallRotaryRow(row % config.headDim());
            if (smallHead < 0 || smallRow < 0) return false;
            copyPadded(wq[smallHead * small.headDim() + smallRow], queryScale, out);
            return true;
        };
    }

    /** wk: a planted kv head holds its small head's pairs at pair p r and zeros in every other pair. */
    private PlantedRows keyRows(float[][] wk) {
        return (row, out) -> {
            int head = row / config.headDim(), smallHead = heads.smallKv(head);
            if (smallHead < 0) return false;
            int smallRow = smallRotaryRow(row % config.headDim());
            if (smallRow < 0) Arrays.fill(out, 0f);
            else copyPadded(wk[smallHead * small.headDim() + smallRow], 1f, out);
            return true;
        };
    }

    /** wv: a planted kv head's first h_s dimensions are its small head's values; the rest are random. */
    private PlantedRows valueRows(float[][] wv) {
        return (row, out) -> {
            int head = row / config.headDim(), smallHead = heads.smallKv(head), j = row % config.headDim();
            if (smallHead < 0 || j >= small.headDim()) return false;
            copyPadded(wv[smallHead * small.headDim() + j], 1f, out);
            return true;
        };
    }

    /** wo: row i < d_s reads the planted heads' first h_s dimensions; every other entry is zero. */
    private PlantedRows outputRows(float[][] wo) {
        return (row, out) -> {
            Arrays.fill(out, 0f);
            if (row >= wo.length) return true;
            int hs = small.headDim();
            for (int head = 0; head < config.heads(); head++) {
                int smallHead = heads.smallQuery(head);
                if (smallHead >= 0) System.arraycopy(wo[row], smallHead * hs, out, head * config.headDim(), hs);
            }
            return true;
        };
    }

    /**
     * The row of a small head (in the small model's rotary layout) stored at dimension {@code j} of a large
     * head (interleaved layout), or -1: large pair q = j/2 holds small pair q/r when r divides q.
     */
    private int smallRotaryRow(int j) {
        int pair = j / 2, element = j % 2;
        if (pair % ratio != 0) return -1;
        int p = pair / ratio;
        return small.ropeLayout() == RopeLayout.INTERLEAVED ? 2 * p + element : element * (small.headDim() / 2) + p;
    }

    /** The small model's weights as floats (it is small), in its own layout. */
    private record SmallWeights(float[][] embedding, List<SmallLayer> layers, float[] finalNorm, float[][] classifier) {
        static SmallWeights of(Model m) {
            var w = m.weights();
            List<SmallLayer> layers = new ArrayList<>();
            for (LayerWeights l : w.layers()) {
                layers.add(new SmallLayer(l.attnNorm(), rows(l.wq()), rows(l.wk()), rows(l.wv()), rows(l.wo()),
                        l.ffnNorm(), rows(l.w1()), rows(l.w2()), rows(l.w3())));
            }
            return new SmallWeights(rows(w.tokenEmbedding()), layers, w.finalNorm(), rows(w.classifier()));
        }

        private static float[][] rows(WeightMatrix m) {
            float[][] out = new float[m.rows()][m.cols()];
            for (int r = 0; r < m.rows(); r++) DEQUANT.dequantizeRow(m, r, out[r], 0);
            return out;
        }
    }

    private record SmallLayer(float[] attnNorm, float[][] wq, float[][] wk, float[][] wv, float[][] wo,
                              float[] ffnNorm, float[][] w1, float[][] w2, float[][] w3) {}
}
