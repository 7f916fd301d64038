package dev.sequoia.engine.format.synthetic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.FileType;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.TensorSlice;
import dev.sequoia.engine.format.gguf.GgufFile;
import dev.sequoia.engine.format.gguf.GgufReader;
import dev.sequoia.engine.format.gguf.GgufWriter;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.kernel.VectorTreeAttention;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The synthetic generator's K-quant files against llama.cpp's: the same shape and seed as the llama.cpp
 * fixtures ({@code configs/models/kquant-tiny.json}, seed 11) give the fixtures' F16 weights exactly, each
 * mix gives every tensor the type llama.cpp's quantizer chose, and the engine's own quantization is about as
 * close to the F16 model's logits as llama.cpp's quantization of the same weights.
 */
class SyntheticKQuantTest {
    private static final long SEED = 11;

    @TempDir
    Path dir;

    @Test
    void f16SeedElevenIsTheFixturesWeightsBitForBit() throws Exception {
        Path ours = dir.resolve("f16.gguf");
        SyntheticModels.ofPreset("kquant-tiny", FileType.F16, SEED).writeGguf(ours);
        try (Arena arena = Arena.ofShared()) {
            Map<String, TensorSlice> mine = slices(ours, arena);
            Map<String, TensorSlice> theirs = slices(Fixtures.fixture("llamacpp/kquant-tiny-f16-s11.gguf"), arena);
            assertEquals(theirs.keySet(), mine.keySet());
            for (TensorSlice t : theirs.values()) {
                TensorSlice m = mine.get(t.name());
                assertEquals(t.type(), m.type(), t.name());
                assertEquals(-1, t.data().mismatch(m.data()), t.name() + ": data differs");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"Q2_K, Q2_K", "Q3_K_M, Q3_K_M", "Q4_K_M, Q4_K_M", "Q5_K_M, Q5_K_M", "Q6_K, Q6_K", "Q4_0, Q4_0", "Q8_0, Q8_0"})
    void mixesChooseLlamaCppsTensorTypes(FileType type, String fixture) throws Exception {
        Path ours = dir.resolve(type + ".gguf");
        SyntheticModels.ofPreset("kquant-tiny", type, SEED).writeGguf(ours);
        try (Arena arena = Arena.ofShared()) {
            GgufFile mine = GgufReader.read(ours, map(ours, arena));
            Path theirsFile = Fixtures.fixture("llamacpp/kquant-tiny-s11-" + fixture + ".gguf");
            GgufFile theirs = GgufReader.read(theirsFile, map(theirsFile, arena));
            assertEquals(types(theirs), types(mine), type + ": per-tensor types");
            assertEquals(theirs.metadata().asMap().get(GgufWriter.FILE_TYPE), mine.metadata().asMap().get(GgufWriter.FILE_TYPE),
                    type + ": general.file_type");
        }
    }

    /**
     * rms(our quantization's logits - F16 logits) at most 1.5x llama.cpp's rms(its quantization - F16), all
     * logits of llama.cpp's first golden sequence: the one-pass quantizer loses about what llama.cpp's does.
     */
    @ParameterizedTest
    @CsvSource({"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"})
    void ownQuantizationIsAboutAsCloseToF16AsLlamaCpps(String label) throws Exception {
        JsonNode f16 = golden("F16"), quant = golden(label);
        Path ours = dir.resolve(label + ".gguf");
        SyntheticModels.ofPreset("kquant-tiny", FileType.valueOf(label), SEED).writeGguf(ours);
        float[] last;
        int[] tokens;
        try (Arena arena = Arena.ofShared(); VectorMatMul mm = new VectorMatMul(2)) {
            Model model = ModelLoader.load(ours, null, arena);
            LlamaConfig c = model.config();
            LlamaTransformer t = new LlamaTransformer(c, model.weights(), mm,
                    new VectorTreeAttention(c.heads(), c.kvHeads(), c.headDim(), mm.pool()));
            tokens = ints(f16.get("sequences").get(0).get("tokens"));
            KvCache cache = t.newCache(tokens.length);
            int[] parents = new int[tokens.length];
            for (int i = 0; i < parents.length; i++) parents[i] = i - 1;
            float[][] logits = t.forward(cache, tokens, parents);
            last = logits[tokens.length - 1];
        }
        JsonNode ref = f16.get("sequences").get(0).get("last_logits");
        JsonNode theirs = quant.get("sequences").get(0).get("last_logits");
        double ourErr = 0, theirErr = 0;
        for (int i = 0; i < ref.size(); i++) {
            ourErr += Math.pow(last[i] - ref.get(i).floatValue(), 2);
            theirErr += Math.pow(theirs.get(i).floatValue() - ref.get(i).floatValue(), 2);
        }
        ourErr = Math.sqrt(ourErr / ref.size());
        theirErr = Math.sqrt(theirErr / ref.size());
        System.out.printf("%s: rms vs F16 logits: ours %.4f, llama.cpp's %.4f%n", label, ourErr, theirErr);
        assertTrue(ourErr <= 1.5 * theirErr, label + ": our quantization's rms " + ourErr + " vs llama.cpp's " + theirErr);
    }

    private static JsonNode golden(String label) throws Exception {
        return new ObjectMapper().readTree(Fixtures.fixture("llamacpp/golden/" + label + ".json").toFile());
    }

    /** Each tensor's ggml type id, by name. */
    static Map<String, String> types(GgufFile f) {
        Map<String, String> out = new TreeMap<>();
        for (var t : f.tensors().values()) out.put(t.name(), String.valueOf(t.ggmlType()));
        return out;
    }

    private static Map<String, TensorSlice> slices(Path file, Arena arena) throws Exception {
        return GgufReader.slices(GgufReader.read(file, map(file, arena)));
    }

    static MemorySegment map(Path file, Arena arena) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
