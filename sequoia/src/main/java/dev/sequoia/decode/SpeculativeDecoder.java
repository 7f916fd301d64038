package dev.sequoia.decode;

import dev.sequoia.sample.SamplingParams;
import dev.sequoia.verify.GreedyVerifier;
import dev.sequoia.verify.NodeResult;
import dev.sequoia.verify.SequoiaVerifier;
import dev.sequoia.verify.Verifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The speculative decoding loop, one {@link #step} at a time:
 * <ol>
 *   <li>the draft runs over the last emitted token (the tree's root), then grows the tree level by level
 *       as the {@link TreePolicy} directs, one forward per level over the new nodes, children proposed by
 *       the verifier's rule;</li>
 *   <li>the target runs one forward over the root and every drafted node;</li>
 *   <li>the verifier walks the tree from the root and ends with a bonus token;</li>
 *   <li>both models keep the root and the accepted path.</li>
 * </ol>
 * Node ids are breadth first (root 0) and equal both models' pending-row indices. Randomness is drawn
 * fresh from the generator every step. Temperature 0 uses {@link GreedyVerifier} unless told otherwise,
 * so the output equals plain greedy decoding of the target.
 *
 * <p>Invariant between steps: both models have committed every emitted token but the last, which is held
 * here and fed as the next root. Not thread-safe; owns neither model.
 */
public final class SpeculativeDecoder {
    private final DecodingModel target;
    private final DecodingModel draft;
    private final TreePolicy policy;
    private final Verifier verifier;
    private final SamplingParams params;
    private final RandomGenerator rng;
    private final DecodingCounters counters = new DecodingCounters();
    private int lastToken = -1;

    public SpeculativeDecoder(DecodingModel target, DecodingModel draft, TreePolicy policy, SamplingParams params,
                              RandomGenerator rng) {
        this(target, draft, policy, params.isGreedy() ? new GreedyVerifier() : new SequoiaVerifier(), params, rng);
    }

    /** With an explicit verifier, e.g. a baseline (SpecInfer, top-k) for comparison. */
    public SpeculativeDecoder(DecodingModel target, DecodingModel draft, TreePolicy policy, Verifier verifier,
                              SamplingParams params, RandomGenerator rng) {
        if (target.vocabSize() != draft.vocabSize()) {
            throw new IllegalArgumentException("target vocabulary " + target.vocabSize()
                    + " differs from the draft's " + draft.vocabSize() + ": expected a shared tokenizer");
        }
        this.target = target;
        this.draft = draft;
        this.policy = policy;
        this.verifier = verifier;
        this.params = params;
        this.rng = rng;
    }

    /** Feeds all prompt tokens but the last to both models; the last becomes the first step's root. */
    public void prefill(int[] prompt) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt is empty: expected at least one token (e.g. BOS)");
        }
        int n = prompt.length - 1;
        if (n > 0) {
            int[] tokens = Arrays.copyOf(prompt, n);
            int[] parents = new int[n];
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                parents[i] = i - 1;
                all[i] = i;
            }
            target.forward(tokens, parents);
            target.keep(all);
            draft.forward(tokens, parents);
            draft.keep(all);
        }
        lastToken = prompt[n];
    }

    public DecodingCounters counters() {
        return counters;
    }

    /** One draft-verify-commit step; returns the accepted tokens and the bonus token. */
    public StepResult step() {
        Round round = beginStep();
        while (!round.done()) {
            round.supply((round.wantsDraft() ? draft : target).forward(round.tokens(), round.parents()));
        }
        return round.result();
    }

    /**
     * Begins one step that the caller drives: it runs each forward the round asks for, on the round's model
     * (the draft while {@link Round#wantsDraft()}, then the target once), and hands back the logits. The round
     * draws from this decoder's generator in the same order as {@link #step()}, so a step driven this way (for
     * instance with other sequences' rows in the same pass) emits exactly what {@link #step()} would. The
     * round keeps both models' accepted rows itself.
     */
    public Round beginStep() {
        if (lastToken < 0) {
            throw new IllegalStateException("no prompt: call prefill before step");
        }
        return new Round();
    }

    /**
     * One step in progress: the draft's forward over the root, one draft forward per level the policy grows,
     * the target's forward over the whole tree, then verification and the keep.
     */
    public final class Round {
        private final DraftTree tree = new DraftTree(lastToken);
        private TreePolicy.Growth growth;
        private int[] tokens = {lastToken};
        private int[] parents = {-1};
        private int firstNew;
        private boolean drafting = true;
        private StepResult result;

        private Round() {
        }

        /** Whether the step has ended ({@link #result()} is ready). */
        public boolean done() {
            return result != null;
        }

        /** Whether the next forward is the draft's (else the target's verification forward). */
        public boolean wantsDraft() {
            return drafting;
        }

        /** Tokens of the forward wanted next. */
        public int[] tokens() {
            return tokens.clone();
        }

        /** Parents (pending rows of the wanted model, -1 for its last committed token) of the forward wanted. */
        public int[] parents() {
            return parents.clone();
        }

        /** Rows the target verifies this step (the tree's size); valid once drafting is over. */
        public int treeSize() {
            return tree.size();
        }

        /** The logits of the wanted forward: grows the tree, or verifies it and keeps the accepted path. */
        public void supply(float[][] logits) {
            if (done()) {
                throw new IllegalStateException("the step has ended");
            }
            if (logits.length != tokens.length) {
                throw new IllegalArgumentException("expected logits for " + tokens.length + " rows, got " + logits.length);
            }
            if (drafting) {
                counters.recordDraftForward();
                tree.setLogits(logits, firstNew);
                if (growth == null) {
                    growth = policy.newStep();
                }
                List<DraftNode> level = new ArrayList<>(tree.size() - firstNew);
                for (int id = firstNew; id < tree.size(); id++) {
                    level.add(tree.node(id, params));
                }
                grow(level);
            } else {
                verify(logits);
            }
        }

        /** Proposes the next level's children; wants its draft forward, or the target's once it is empty. */
        private void grow(List<DraftNode> level) {
            int[] counts = growth.childCounts(level);
            int first = tree.size();
            for (int j = 0; j < level.size(); j++) {
                if (counts[j] > 0) {
                    tree.addChildren(level.get(j), verifier.propose(level.get(j).draftDistribution(), counts[j], rng));
                }
            }
            if (tree.size() == first) {
                drafting = false;
                tokens = tree.tokens();
                parents = tree.parents();
                return;
            }
            firstNew = first;
            tokens = tree.tokensFrom(first);
            parents = tree.parentsFrom(first);
        }

        private void verify(float[][] targetLogits) {
            counters.recordTargetForward();
            List<Integer> path = new ArrayList<>();
            int[] emitted = walk(tree, targetLogits, path);
            int[] keep = path.stream().mapToInt(Integer::intValue).toArray();
            target.keep(keep);
            draft.keep(keep);
            lastToken = emitted[emitted.length - 1];
            counters.recordStep(emitted.length - 1);
            result = new StepResult(emitted, emitted.length - 1);
        }

        public StepResult result() {
            if (!done()) {
                throw new IllegalStateException("the step has not ended: it wants a " + (drafting ? "draft" : "target")
                        + " forward");
            }
            return result;
        }
    }

    /** Verification from the root; fills {@code path} with the root and accepted nodes. */
    private int[] walk(DraftTree tree, float[][] targetLogits, List<Integer> path) {
        List<Integer> out = new ArrayList<>();
        int node = 0;
        path.add(0);
        while (true) {
            double[] p = params.targetDistribution(targetLogits[node]);
            double[] q = params.draftDistribution(tree.logits(node));
            int[] children = tree.children(node);
            int[] childTokens = new int[children.length];
            for (int i = 0; i < children.length; i++) {
                childTokens[i] = tree.token(children[i]);
            }
            switch (verifier.verify(p, q, childTokens, rng)) {
                case NodeResult.Accepted a -> {
                    node = children[a.index()];
                    path.add(node);
                    out.add(tree.token(node));
                }
                case NodeResult.Rejected r -> {
                    out.add(r.bonusToken());
                    return out.stream().mapToInt(Integer::intValue).toArray();
                }
            }
        }
    }
}
