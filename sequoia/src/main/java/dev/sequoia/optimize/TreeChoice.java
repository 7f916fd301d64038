package dev.sequoia.optimize;

import dev.sequoia.tree.Tree;

/**
 * The optimizer's answer: the budget n and level count d of the best tree, its expected tokens per step
 * G(n, d), the predicted time per token {@code (d * draftTime + t(n)) / G} and the predicted speedup over
 * autoregressive decoding {@code t(1) / timePerToken}.
 */
public record TreeChoice(int budget, int levels, double expectedTokens, double timePerToken,
                         double predictedSpeedup, Tree tree) {
}
