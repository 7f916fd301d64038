package dev.sequoia.engine.backend.offload;

import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.gguf.GgufSplitWriter;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.offload.plan.PlanInputs;
import dev.sequoia.offload.plan.PlanOverrides;
import dev.sequoia.offload.plan.ResidencyPlan;
import dev.sequoia.offload.plan.ResidencyPlanner;
import dev.sequoia.offload.stream.StreamFaultException;
import dev.sequoia.offload.tier.DiskTier;
import dev.sequoia.offload.tier.MemoryLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A streamed forward must give bit-identical logits to the resident forward, for every plan. */
class StreamedForwardTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378}; // BOS "Once upon a time" in tok512 ids
    /**
     * The scalar kernels: their float results do not depend on JIT state. (The Vector API kernels' lane
     * reductions may sum in another order once compiled, so two runs of the same forward can differ in the
     * last bit before and after warm-up, whatever the weights' source.)
     */
    private static final MatMul kernels = new ScalarMatMul();

    @TempDir
    Path dir;

    static Stream<Arguments> plans() {
        return Stream.of("stories260K.bin", "stories260K.gguf").flatMap(file -> Stream.of(
                Arguments.of(file, "all resident", Set.of(0, 1, 2, 3, 4), null),
                Arguments.of(file, "none resident, R=2", Set.of(), 2),
                Arguments.of(file, "none resident, R=3", Set.of(), 3),
                Arguments.of(file, "some resident, R=2", Set.of(0, 3), 2),
                Arguments.of(file, "some resident, R=3", Set.of(1, 2, 4), 3)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("plans")
    void streamedLogitsAreBitIdenticalToResident(String file, String label, Set<Integer> resident, Integer slots) {
        assertStreamedEqualsResident(Fixtures.require(file), 64 * 1024, label, resident, slots);
    }

    /** Decodes with the plan's streamed layers and fully resident: every logit equal, every buffer freed. */
    private void assertStreamedEqualsResident(Path file, int readChunk, String label, Set<Integer> resident,
                                              Integer slots) {
        try (Arena arena = Arena.ofShared()) {
            Model model = ModelLoader.load(file, null, arena);
            ModelExtents extents = ModelExtents.of(model);
            MemoryLedger ledger = new MemoryLedger();
            DiskTier tier = DiskTier.open(extents.files(), extents.layers(), 2, readChunk);
            ResidencyPlan plan = plan(tier, resident, slots);
            LlamaTransformer transformer = new LlamaTransformer(model, kernels);
            try (StreamedLayerSource streamed = new StreamedLayerSource(model.weights(), tier, plan, ledger)) {
                float[][][] expected = decode(transformer, LayerSource.resident(model.weights()));
                float[][][] actual = decode(transformer, streamed);
                for (int step = 0; step < expected.length; step++) {
                    for (int t = 0; t < expected[step].length; t++) {
                        assertArrayEquals(expected[step][t], actual[step][t], label + ": step " + step + " token " + t);
                    }
                }
                if (plan.streams()) assertEquals(plan.streamed().size(), streamed.lastPass().layersStreamed());
            }
            assertEquals(0, ledger.liveBytes(), "closing the source frees every buffer");
        }
    }

    static Stream<Arguments> syntheticPlans() {
        return Stream.of(TensorType.Q8_0, TensorType.F16, TensorType.Q4_0).flatMap(type -> Stream.of(
                Arguments.of(type, "none resident, R=2", Set.of(), 2),
                Arguments.of(type, "none resident, R=3", Set.of(), 3),
                Arguments.of(type, "some resident, R=2", Set.of(1), 2),
                Arguments.of(type, "all resident", Set.of(0, 1), null)));
    }

    @ParameterizedTest(name = "synthetic {0}: {1}")
    @MethodSource("syntheticPlans")
    void syntheticModelStreamsBitIdentically(TensorType type, String label, Set<Integer> resident, Integer slots)
            throws IOException {
        Path file = dir.resolve("tiny-" + type + ".gguf");
        SyntheticModels.ofPreset("tiny-test", type, 99).writeGguf(file);
        assertStreamedEqualsResident(file, 8 * 1024, label, resident, slots);
    }

    static Stream<Arguments> splitPlans() {
        return Stream.of(
                Arguments.of("none resident, R=2", Set.of(), 2),
                Arguments.of("some resident, R=3", Set.of(1, 2, 4), 3),
                Arguments.of("all resident", Set.of(0, 1, 2, 3, 4), null));
    }

    /**
     * stories260K.gguf written as 3 parts: layers span parts, each projection is read from its own part, and the
     * streamed logits equal the resident ones, which equal the single file's.
     */
    @ParameterizedTest(name = "split in 3: {0}")
    @MethodSource("splitPlans")
    void splitModelStreamsEachLayerFromItsParts(String label, Set<Integer> resident, Integer slots) throws IOException {
        List<Path> parts = GgufSplitWriter.split(Fixtures.targetGguf(), dir.resolve("stories"), 3);
        try (Arena arena = Arena.ofShared()) {
            Model model = ModelLoader.load(parts.getFirst(), null, arena);
            ModelExtents extents = ModelExtents.of(model);
            assertEquals(parts, extents.files(), "the streamed projections come from all three parts");
            LlamaTransformer single = new LlamaTransformer(ModelLoader.load(Fixtures.targetGguf(), null, arena), kernels);
            float[][][] expected = decode(single, LayerSource.resident(single.weights()));
            float[][][] resident3 = decode(new LlamaTransformer(model, kernels), LayerSource.resident(model.weights()));
            for (int step = 0; step < expected.length; step++) {
                for (int t = 0; t < expected[step].length; t++) assertArrayEquals(expected[step][t], resident3[step][t]);
            }
        }
        assertStreamedEqualsResident(parts.getFirst(), 16 * 1024, label, resident, slots);
    }

    @Test
    void fileTruncatedMidStreamFailsTheForwardAndTheNextForwardWorks() throws IOException {
        Path copy = dir.resolve("stories260K.bin");
        Files.copy(Fixtures.target(), copy);
        try (Arena arena = Arena.ofShared()) {
            // The model is mapped from the shared file; the streamer reads the copy, which we damage.
            Model model = ModelLoader.load(Fixtures.target(), null, arena);
            ModelExtents extents = ModelExtents.of(model);
            MemoryLedger ledger = new MemoryLedger();
            DiskTier tier = DiskTier.open(copy, extents.layers(), 2, 16 * 1024);
            ResidencyPlan plan = plan(tier, Set.of(0), 2);
            LlamaTransformer transformer = new LlamaTransformer(model, kernels);
            float[][][] expected = decode(transformer, LayerSource.resident(model.weights()));
            try (StreamedLayerSource streamed = new StreamedLayerSource(model.weights(), tier, plan, ledger)) {
                long residentBytes = ledger.liveBytes();
                byte[] original = Files.readAllBytes(copy);
                try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                    ch.truncate(extents.layers().get(4).get(6).offset()); // inside layer 4's w3
                }
                StreamFaultException e = assertThrows(StreamFaultException.class, () -> decode(transformer, streamed));
                assertTrue(e.getMessage().contains(copy.toString()) && e.getMessage().contains("truncated"), e.getMessage());
                assertEquals(residentBytes, ledger.liveBytes(), "the fault must free every slot");
                Files.write(copy, original);
                float[][][] again = decode(transformer, streamed);
                for (int step = 0; step < expected.length; step++) {
                    for (int t = 0; t < expected[step].length; t++) assertArrayEquals(expected[step][t], again[step][t]);
                }
            }
            assertEquals(0, ledger.liveBytes());
        }
    }

    /** A prompt forward, then a 3-token tree, then greedy single-token steps: several passes in a row. */
    private static float[][][] decode(LlamaTransformer transformer, LayerSource layers) {
        KvCache cache = transformer.newCache(64);
        float[][][] out = new float[5][][];
        int vocab = transformer.config().vocabSize(); // token ids wrap for the small synthetic vocabulary
        out[0] = transformer.forward(cache, java.util.Arrays.stream(PROMPT).map(t -> t % vocab).toArray(),
                new int[] {-1, 0, 1, 2, 3}, layers);
        cache.keep(new int[] {0, 1, 2, 3, 4});
        out[1] = transformer.forward(cache, new int[] {300 % vocab, 301 % vocab, 302 % vocab}, new int[] {-1, 0, 0}, layers);
        cache.keep(new int[] {0, 1});
        int token = argmax(out[1][1]);
        for (int s = 2; s < 5; s++) {
            out[s] = transformer.forward(cache, new int[] {token}, new int[] {-1}, layers);
            cache.keep(new int[] {0});
            token = argmax(out[s][0]);
        }
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static ResidencyPlan plan(DiskTier tier, Set<Integer> resident, Integer slots) {
        PlanOverrides overrides = new PlanOverrides(new TreeSet<>(resident), slots);
        return ResidencyPlanner.plan(new PlanInputs(1L << 30, 0, tier.slotBytesPerLayer(), 1e9, 1e6), overrides);
    }
}
