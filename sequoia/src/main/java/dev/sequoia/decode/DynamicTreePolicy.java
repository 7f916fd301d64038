package dev.sequoia.decode;

import dev.sequoia.sample.TopK;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A SpecExec-style dynamic tree, rebuilt every step from the draft's own confidence: at each level, every
 * node of the newest level offers its {@code maxBranch} most probable next tokens, priced by cumulative
 * draft log-probability, and the best {@code min(width, budget left)} of all offers become children. It
 * approximates "the best n continuations by cumulative draft probability" one level (one draft forward) at
 * a time. The counts are decided from the distributions before children are drawn, so any verifier stays
 * exact; with a deterministic (top-k) verifier the priced offers are exactly the drafted children.
 */
public final class DynamicTreePolicy implements TreePolicy {
    private final int budget;
    private final int maxLevels;
    private final int width;
    private final int maxBranch;

    /**
     * @param budget tree size n, root included
     * @param maxLevels levels including the root
     * @param width most nodes per level
     * @param maxBranch most children per node
     */
    public DynamicTreePolicy(int budget, int maxLevels, int width, int maxBranch) {
        if (budget < 1 || maxLevels < 1 || width < 1 || maxBranch < 1) {
            throw new IllegalArgumentException("dynamic tree needs budget, levels, width and branch >= 1: got "
                    + budget + ", " + maxLevels + ", " + width + ", " + maxBranch);
        }
        this.budget = budget;
        this.maxLevels = maxLevels;
        this.width = width;
        this.maxBranch = maxBranch;
    }

    private record Offer(int nodeIndex, double logProbability) {
    }

    @Override
    public Growth newStep() {
        return new Growth() {
            private int size = 1;

            @Override
            public int[] childCounts(List<DraftNode> newestLevel) {
                int[] counts = new int[newestLevel.size()];
                int levelOfChildren = newestLevel.isEmpty() ? 0 : newestLevel.getFirst().depth() + 1;
                int take = Math.min(width, budget - size);
                if (take <= 0 || levelOfChildren >= maxLevels) {
                    return counts;
                }
                List<Offer> offers = new ArrayList<>();
                for (int j = 0; j < newestLevel.size(); j++) {
                    DraftNode node = newestLevel.get(j);
                    double[] q = node.draftDistribution();
                    for (int token : TopK.indices(q, maxBranch)) {
                        if (q[token] > 0) {
                            offers.add(new Offer(j, node.logProbability() + Math.log(q[token])));
                        }
                    }
                }
                offers.sort(Comparator.comparingDouble(Offer::logProbability).reversed());
                for (Offer o : offers.subList(0, Math.min(take, offers.size()))) {
                    counts[o.nodeIndex()]++;
                }
                for (int c : counts) {
                    size += c;
                }
                return counts;
            }
        };
    }
}
