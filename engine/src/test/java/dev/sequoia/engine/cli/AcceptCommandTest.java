package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sequoia accept}, whose vector feeds the tree DP and the optimizer, against acceptance vectors computed
 * here by other means: greedily, by walking the target's greedy path with whole-sequence forwards on the scalar
 * kernels (no KV cache reuse) and ranking the target's token among the draft's logits; sampled, a draft equal
 * to the target, whose first child is always accepted.
 */
class AcceptCommandTest {
    private static final List<String> PROMPTS = List.of("Once upon a time", "Lily and Ben went");
    private static final int WIDTH = 4, STEPS = 10;

    @TempDir
    Path dir;

    @Test
    void greedyVectorIsTheShareOfStepsWhereTheDraftsRankKIsTheTargetsToken() throws IOException {
        JsonNode r = accept(Fixtures.target(), Fixtures.draft(), "0");
        double[] want = greedyAcceptance();
        assertEquals(PROMPTS.size() * STEPS, r.get("steps").asInt());
        double total = 0;
        for (int k = 0; k < WIDTH; k++) {
            assertEquals(want[k], r.get("acceptance").get(k).asDouble(), 1e-12, "rank " + (k + 1) + " of " + r);
            total += want[k];
        }
        assertEquals(1 - total, r.get("reject_all").asDouble(), 1e-12);
        assertTrue(want[0] > 0 && want[0] < 1, "the pair must disagree sometimes, or the comparison is weak: " + Arrays.toString(want));
    }

    @Test
    void aDraftEqualToTheTargetHasItsFirstChildAlwaysAccepted() throws IOException {
        JsonNode r = accept(Fixtures.target(), Fixtures.target(), "0.6");
        assertEquals(1.0, r.get("acceptance").get(0).asDouble(), 1e-9, r.toString());
        for (int k = 1; k < WIDTH; k++) assertEquals(0.0, r.get("acceptance").get(k).asDouble(), 1e-9, r.toString());
        assertEquals(0.0, r.get("reject_all").asDouble(), 1e-9);
    }

    private JsonNode accept(Path target, Path draft, String temperature) throws IOException {
        Path prompts = Files.write(dir.resolve("prompts.txt"), PROMPTS);
        CliRun run = CliRun.of("accept", "--target", target.toString(), "--draft", draft.toString(),
                "--tokenizer", Fixtures.tokenizer().toString(), "--prompts", prompts.toString(), "--width", Integer.toString(WIDTH),
                "--steps", Integer.toString(STEPS), "-t", temperature, "--threads", "1", "--json");
        assertEquals(0, run.exit(), run.err());
        return new ObjectMapper().readTree(run.out());
    }

    /** The greedy acceptance vector, from scratch: per step, the rank of the target's argmax among the draft's logits. */
    private static double[] greedyAcceptance() {
        double[] hits = new double[WIDTH];
        int steps = 0;
        try (Arena arena = Arena.ofConfined()) {
            Model target = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            Model draft = ModelLoader.load(Fixtures.draft(), Fixtures.tokenizer(), arena);
            LlamaTransformer t = new LlamaTransformer(target, new ScalarMatMul());
            LlamaTransformer d = new LlamaTransformer(draft, new ScalarMatMul());
            for (String prompt : PROMPTS) {
                int[] seq = target.tokenizer().encode(prompt, target.tokenizer().bos() >= 0, false);
                for (int s = 0; s < STEPS; s++) {
                    float[] p = lastLogits(t, seq), q = lastLogits(d, seq);
                    int next = 0;
                    for (int i = 1; i < p.length; i++) if (p[i] > p[next]) next = i;
                    int rank = 0; // how many draft logits beat the target's token
                    for (float v : q) if (v > q[next]) rank++;
                    if (rank < WIDTH) hits[rank]++;
                    seq = Arrays.copyOf(seq, seq.length + 1);
                    seq[seq.length - 1] = next;
                    steps++;
                }
            }
        }
        for (int k = 0; k < WIDTH; k++) hits[k] /= steps;
        return hits;
    }

    private static float[] lastLogits(LlamaTransformer model, int[] tokens) {
        KvCache cache = model.newCache(tokens.length);
        int[] parents = new int[tokens.length];
        for (int i = 0; i < parents.length; i++) parents[i] = i - 1;
        float[][] logits = model.forward(cache, tokens, parents);
        return logits[logits.length - 1];
    }
}
