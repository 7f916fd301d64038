package dev.sequoia.engine.speculative;

import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.session.StepDecoder.StepOutput;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A speculation step that fails after the target's verification forward (here: its keep fails, as a device
 * error would) leaves no per-step state behind: once the caches are rolled back, the next step reports the
 * target's logits of its own rows, not of the failed step's.
 */
class FailedStepTest {
    /** The real target over a real cache, whose next keep can be made to fail. */
    static final class FailingKeepModel extends RecordingModel {
        final LlamaTransformer transformer;
        final KvCache cache;
        boolean failNextKeep;

        FailingKeepModel(LlamaTransformer transformer, int capacity) {
            this.transformer = transformer;
            this.cache = transformer.newCache(capacity);
        }

        @Override
        protected float[][] forwardRows(int[] tokens, int[] parents) { return transformer.forward(cache, tokens, parents); }

        @Override
        protected void keepRows(int[] pendingIndices) {
            if (failNextKeep) {
                failNextKeep = false;
                throw new IllegalStateException("device lost during keep");
            }
            cache.keep(pendingIndices);
        }

        @Override public int committedLength() { return cache.committed(); }
        @Override public int vocabSize() { return transformer.config().vocabSize(); }
    }

    @Test
    void aStepAfterAFailedOneReportsItsOwnLogits() {
        try (Arena arena = Arena.ofShared()) {
            Model t = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            Model d = ModelLoader.load(Fixtures.draft(), Fixtures.tokenizer(), arena);
            LlamaTransformer target = new LlamaTransformer(t, new ScalarMatMul());
            LlamaTransformer draft = new LlamaTransformer(d, new ScalarMatMul());
            FailingKeepModel targetModel = new FailingKeepModel(target, 64);
            TransformerModel draftModel = new TransformerModel(draft, 64);
            int[] prompt = t.tokenizer().encode("Once upon a time", true, false);
            int[] fed = java.util.Arrays.copyOf(prompt, prompt.length - 1);
            int root = prompt[prompt.length - 1];
            feed(target, targetModel.cache, fed);
            feed(draft, draftModel.cache(), fed);
            TreeProvider trees = TreeProvider.fixed(TreeSpec.parse("4x3", 0));

            targetModel.failNextKeep = true;
            int otherRoot = (root + 7) % t.config().vocabSize(); // the failed step's rows differ from the next one's
            assertThrows(IllegalStateException.class, () -> SpeculativeStepDecoder.step(targetModel, draftModel, trees,
                    otherRoot, SamplingParams.greedy(), new SplittableRandom(1)));
            // what the engine does after a failed step: roll the caches back to the committed prefix
            targetModel.cache.truncate(fed.length);
            draftModel.cache().truncate(fed.length);

            StepOutput out = SpeculativeStepDecoder.step(targetModel, draftModel, trees, root, SamplingParams.greedy(),
                    new SplittableRandom(1));
            KvCache reference = target.newCache(64);
            feed(target, reference, fed);
            float[] expected = target.forward(reference, new int[]{root}, new int[]{-1})[0];
            float[] actual = out.logits()[0];
            for (int i = 0; i < expected.length; i++) {
                assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-4,
                        "logit " + i + ": " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    private static void feed(LlamaTransformer model, KvCache cache, int[] tokens) {
        int[] parents = new int[tokens.length], path = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            parents[i] = i - 1;
            path[i] = i;
        }
        model.forward(cache, tokens, parents);
        cache.keep(path);
    }
}
