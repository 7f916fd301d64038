package dev.sequoia.engine.speculative;

import dev.sequoia.decode.SpeculativeDecoder;
import dev.sequoia.decode.StepResult;
import dev.sequoia.decode.TreePolicy;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.session.AutoregressiveDecoder;
import dev.sequoia.engine.session.FeedRound;
import dev.sequoia.engine.session.SharedForward;
import dev.sequoia.engine.session.StepDecoder;
import dev.sequoia.engine.session.StepRound;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A session's decoder for speculative decoding: the target and the draft, each with its own KV cache, and
 * the sequoia module's {@link SpeculativeDecoder} running one step at a time under a {@link TreePolicy}.
 * Confined to the engine thread.
 */
public final class SpeculativeStepDecoder implements StepDecoder {
    private final TransformerModel target;
    private final TransformerModel draft;
    private final LlamaTransformer targetTransformer;
    private final LlamaTransformer draftTransformer;
    private final TreeProvider trees;

    public SpeculativeStepDecoder(LlamaTransformer target, LlamaTransformer draft, TreeProvider trees, int capacity) {
        this(target, LayerSource.resident(target.weights()), draft, trees, capacity);
    }

    /** Speculation whose target forwards (prefill and verification) take their layers from {@code targetLayers}. */
    public SpeculativeStepDecoder(LlamaTransformer target, LayerSource targetLayers, LlamaTransformer draft,
                                  TreeProvider trees, int capacity) {
        this.targetTransformer = target;
        this.draftTransformer = draft;
        this.target = new TransformerModel(target, targetLayers, capacity);
        this.draft = new TransformerModel(draft, capacity);
        this.trees = trees;
    }

    @Override
    public void feed(int[] tokens) {
        AutoregressiveDecoder.feedChain(targetTransformer, target.layers(), target.cache(), tokens);
        AutoregressiveDecoder.feedChain(draftTransformer, draft.cache(), tokens);
    }

    @Override
    public StepOutput step(int root, SamplingParams sampling, RandomGenerator random) {
        return step(target, draft, trees, root, sampling, random);
    }

    @Override
    public StepRound beginRound(int[] feed, int root, SamplingParams sampling, RandomGenerator random, TreeSpec tree) {
        return beginRound(target, draft, trees, feed, root, sampling, random, tree);
    }

    /**
     * A speculative decoder's {@link StepDecoder#beginRound} on any backend: the round under {@code tree} (or the
     * decoder's {@code trees}), with {@code feed} fed ahead of its rows in both models.
     */
    public static StepRound beginRound(RecordingModel target, RecordingModel draft, TreeProvider trees, int[] feed, int root,
                                       SamplingParams sampling, RandomGenerator random, TreeSpec tree) {
        StepRound round = round(target, draft, tree != null ? TreeProvider.fixed(tree) : trees, root, sampling, random);
        target.feedAhead(feed); // after round(): a refused sampling setting leaves no chain behind
        draft.feedAhead(feed);
        return round;
    }

    @Override
    public StepRound beginFeed(int[] chunk) {
        return FeedRound.of(chunk, draft, target);
    }

    /**
     * One speculation step of {@code draft} for {@code target} from the bonus token {@code root}, under the tree
     * {@code trees} gives for these sampling settings, on any backend: the emitted tokens, the target's logits
     * at each, and the time in draft forwards, target forwards and the rest. It drives the same
     * {@link #round} a shared pass drives, with every forward run alone.
     */
    public static StepOutput step(RecordingModel target, RecordingModel draft, TreeProvider trees, int root,
                                  SamplingParams sampling, RandomGenerator random) {
        StepRound round = round(target, draft, trees, root, sampling, random);
        try {
            for (SharedForward.Request r; (r = round.next()) != null; ) {
                round.supply(r.model().forward(r));
            }
        } catch (RuntimeException | Error e) {
            // the step's rows are rolled back by the caller; its recorded logits must go with them
            target.discardPending();
            draft.discardPending();
            throw e;
        }
        return round.output();
    }

    /** One speculation step as a {@link StepRound}: the draft's forwards, then the target's over the tree. */
    public static StepRound round(RecordingModel target, RecordingModel draft, TreeProvider trees, int root,
                                  SamplingParams sampling, RandomGenerator random) {
        if (sampling.topK() > 0) {
            throw new IllegalArgumentException("top-k is not supported with speculative decoding (use top-p), got top-k "
                    + sampling.topK());
        }
        var params = dev.sequoia.sample.SamplingParams.of(sampling.temperature(), sampling.topP());
        TreePolicy policy = trees.forSampling(sampling.temperature(), sampling.topP()).policy();
        SpeculativeDecoder decoder = new SpeculativeDecoder(target, draft, policy, params, random);
        decoder.prefill(new int[]{root});
        return new Round(target, draft, decoder);
    }

    /** A {@link SpeculativeDecoder.Round} with the forwards it wants addressed to the session's models. */
    private static final class Round implements StepRound {
        private final RecordingModel target, draft;
        private final SpeculativeDecoder decoder;
        private final SpeculativeDecoder.Round round;
        private final long draft0, target0;
        private long ownNanos;
        /** Rows of the verification forward: the tree, and a prompt chain fed ahead of it. */
        private int verifiedRows;

        Round(RecordingModel target, RecordingModel draft, SpeculativeDecoder decoder) {
            this.target = target;
            this.draft = draft;
            this.decoder = decoder;
            this.draft0 = draft.forwardNanos();
            this.target0 = target.forwardNanos();
            long t0 = System.nanoTime();
            this.round = decoder.beginStep();
            ownNanos += System.nanoTime() - t0;
        }

        @Override
        public SharedForward.Request next() {
            if (round.done()) return null;
            SharedForward.Request r = (round.wantsDraft() ? draft : target).request(round.tokens(), round.parents());
            if (!round.wantsDraft()) verifiedRows = r.tokens().length;
            return r;
        }

        @Override
        public boolean verifies() { return !round.done() && !round.wantsDraft(); }

        @Override
        public void supply(float[][] logits) {
            long t0 = System.nanoTime();
            round.supply(logits);
            ownNanos += System.nanoTime() - t0;
        }

        @Override
        public StepOutput output() {
            StepResult result = round.result();
            // the kept path is the root and the accepted nodes: emitted token i was chosen at path node i
            return new StepOutput(result.tokens(), target.keptLogits(), (int) decoder.counters().draftForwards(),
                    draft.forwardNanos() - draft0, target.forwardNanos() - target0, ownNanos,
                    round.treeSize() - 1, verifiedRows);
        }
    }

    @Override
    public int committed() { return target.cache().committed(); }

    @Override
    public void truncate(int length) {
        target.cache().truncate(length);
        draft.cache().truncate(length);
        target.discardPending();
        draft.discardPending();
    }

    @Override
    public int rowsPerStep() { return trees.maxSize(); }

    @Override
    public int capacity() { return Math.min(target.cache().capacity(), draft.cache().capacity()); }

    @Override
    public long kvBytes() { return target.cache().allocatedBytes() + draft.cache().allocatedBytes(); }

    @Override
    public List<KvCache.Snapshot> snapshot(int rows) {
        return List.of(target.cache().snapshot(rows), draft.cache().snapshot(rows));
    }

    @Override
    public void restore(List<KvCache.Snapshot> snapshots) {
        target.cache().restore(snapshots.get(0));
        draft.cache().restore(snapshots.get(1));
    }

    @Override
    public void close() {}
}
