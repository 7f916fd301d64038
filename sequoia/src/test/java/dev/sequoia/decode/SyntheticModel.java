package dev.sequoia.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * A real, tiny {@link DecodingModel} for tests: the next-token logits are any function of the context
 * (committed tokens, then the row's pending ancestors, then the row's token). It keeps the same
 * committed/pending bookkeeping an engine model does and rejects protocol violations. The function sees
 * only the last {@code window} tokens of the context, which keeps long runs of short-memory models linear.
 */
final class SyntheticModel implements DecodingModel {
    private final int vocab;
    private final int window;
    private final Function<int[], float[]> logitsOfContext;
    private final List<Integer> committed = new ArrayList<>();
    private final List<Integer> pendingTokens = new ArrayList<>();
    private final List<Integer> pendingParents = new ArrayList<>();

    SyntheticModel(int vocab, Function<int[], float[]> logitsOfContext) {
        this(vocab, Integer.MAX_VALUE, logitsOfContext);
    }

    SyntheticModel(int vocab, int window, Function<int[], float[]> logitsOfContext) {
        this.vocab = vocab;
        this.window = window;
        this.logitsOfContext = logitsOfContext;
    }

    /** A model whose next-token distribution never depends on the context. */
    static SyntheticModel fixed(double[] probabilities) {
        float[] logits = logitsOf(probabilities);
        return new SyntheticModel(probabilities.length, 0, context -> logits);
    }

    /** An order-1 Markov model: row {@code transition[last token]}. */
    static SyntheticModel markov(double[][] transition) {
        float[][] rows = Arrays.stream(transition).map(SyntheticModel::logitsOf).toArray(float[][]::new);
        return new SyntheticModel(transition.length, 1, context -> rows[context[context.length - 1]]);
    }

    static float[] logitsOf(double[] probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = probabilities[i] > 0 ? (float) Math.log(probabilities[i]) : Float.NEGATIVE_INFINITY;
        }
        return logits;
    }

    @Override
    public float[][] forward(int[] tokens, int[] parents) {
        if (tokens.length != parents.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + parents.length + " parents");
        }
        float[][] out = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            int row = pendingTokens.size();
            if (parents[i] < -1 || parents[i] >= row) {
                throw new IllegalArgumentException("parent " + parents[i] + " of pending row " + row
                        + ": expected -1 or an earlier pending row");
            }
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException("token " + tokens[i] + " outside vocabulary " + vocab);
            }
            pendingTokens.add(tokens[i]);
            pendingParents.add(parents[i]);
            out[i] = logitsOfContext.apply(context(row)).clone();
        }
        return out;
    }

    private int[] context(int row) {
        List<Integer> path = new ArrayList<>();
        for (int r = row; r >= 0 && path.size() < window; r = pendingParents.get(r)) {
            path.addFirst(pendingTokens.get(r));
        }
        int fromCommitted = (int) Math.min(committed.size(), (long) window - path.size());
        int[] ctx = new int[fromCommitted + path.size()];
        for (int i = 0; i < fromCommitted; i++) {
            ctx[i] = committed.get(committed.size() - fromCommitted + i);
        }
        for (int i = 0; i < path.size(); i++) {
            ctx[fromCommitted + i] = path.get(i);
        }
        return ctx;
    }

    @Override
    public void keep(int[] pendingIndices) {
        int expectedParent = -1;
        for (int idx : pendingIndices) {
            if (idx < 0 || idx >= pendingTokens.size() || pendingParents.get(idx) != expectedParent) {
                throw new IllegalArgumentException("keep " + Arrays.toString(pendingIndices)
                        + ": not a path from the committed sequence at row " + idx);
            }
            expectedParent = idx;
        }
        for (int idx : pendingIndices) {
            committed.add(pendingTokens.get(idx));
        }
        pendingTokens.clear();
        pendingParents.clear();
    }

    @Override
    public int committedLength() {
        return committed.size();
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    List<Integer> committedTokens() {
        return List.copyOf(committed);
    }
}
