package dev.sequoia.decode;

import dev.sequoia.sample.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/**
 * The token tree of one speculation step while it is drafted and verified: per node its token, parent,
 * depth, cumulative draft log-probability, ordered children and the draft's logits. Ids are breadth
 * first (root 0) because children are appended level by level in rank order. Draft distributions are
 * recomputed from logits on demand rather than stored (a vocabulary-sized double row per node would not
 * fit for large trees). Owned by one step of {@link SpeculativeDecoder}.
 */
final class DraftTree {
    private final List<Integer> tokens = new ArrayList<>();
    private final List<Integer> parents = new ArrayList<>();
    private final List<Integer> depths = new ArrayList<>();
    private final List<Double> logProbabilities = new ArrayList<>();
    private final List<List<Integer>> children = new ArrayList<>();
    private final List<float[]> logits = new ArrayList<>();

    DraftTree(int rootToken) {
        add(rootToken, -1, 0, 0.0);
    }

    private void add(int token, int parent, int depth, double logProbability) {
        tokens.add(token);
        parents.add(parent);
        depths.add(depth);
        logProbabilities.add(logProbability);
        children.add(new ArrayList<>());
        logits.add(null);
    }

    int size() {
        return tokens.size();
    }

    int token(int id) {
        return tokens.get(id);
    }

    float[] logits(int id) {
        return logits.get(id);
    }

    int[] children(int id) {
        return children.get(id).stream().mapToInt(Integer::intValue).toArray();
    }

    /** The node as a policy sees it, with its draft distribution computed now. */
    DraftNode node(int id, SamplingParams params) {
        return new DraftNode(id, depths.get(id), logProbabilities.get(id), params.draftDistribution(logits.get(id)));
    }

    void addChildren(DraftNode parent, int[] childTokens) {
        double[] q = parent.draftDistribution();
        for (int token : childTokens) {
            children.get(parent.id()).add(size());
            add(token, parent.id(), parent.depth() + 1, parent.logProbability() + Math.log(q[token]));
        }
    }

    void setLogits(float[][] rows, int firstId) {
        for (int i = 0; i < rows.length; i++) {
            logits.set(firstId + i, rows[i]);
        }
    }

    int[] tokens() {
        return tokensFrom(0);
    }

    int[] parents() {
        return parentsFrom(0);
    }

    int[] tokensFrom(int firstId) {
        return tokens.subList(firstId, size()).stream().mapToInt(Integer::intValue).toArray();
    }

    /** Parents as pending-row indices: node ids, -1 for the root. */
    int[] parentsFrom(int firstId) {
        return parents.subList(firstId, size()).stream().mapToInt(Integer::intValue).toArray();
    }
}
