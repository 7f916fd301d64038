package dev.sequoia.decode;

/**
 * One node of the tree being drafted, as a {@link TreePolicy} sees it when deciding how many children it
 * gets: its id (breadth-first order, root 0), depth (root 0), cumulative draft log-probability of the path
 * from the root (0 at the root), and the draft's distribution over its next token.
 */
public record DraftNode(int id, int depth, double logProbability, double[] draftDistribution) {
}
