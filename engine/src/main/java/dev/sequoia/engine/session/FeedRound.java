package dev.sequoia.engine.session;

import java.util.List;

/**
 * A round that only feeds and commits a prompt chunk, on any backend: one forward of each model in order (for a
 * speculative decoder the draft's, with the pass's draft forwards, then the target's, which is the round's
 * verification forward), each the chain alone without logits, then its keep.
 *
 * <p>Confined to the engine thread.
 */
public final class FeedRound implements StepRound {
    private final List<PassModel> models;
    private int next;

    private FeedRound(List<PassModel> models) {
        this.models = models;
    }

    /** Feeds {@code chunk} (after the committed rows) to every model; the target last. */
    public static StepRound of(int[] chunk, PassModel... models) {
        if (chunk.length == 0) throw new IllegalArgumentException("a feed round needs at least one token");
        for (PassModel m : models) m.feedAhead(chunk);
        return new FeedRound(List.of(models));
    }

    @Override
    public SharedForward.Request next() {
        return next < models.size() ? models.get(next).request(new int[0], new int[0]) : null;
    }

    @Override
    public boolean verifies() { return next == models.size() - 1; }

    @Override
    public void supply(float[][] logits) {
        models.get(next++).keep(new int[0]); // commits the chain
    }

    @Override
    public StepDecoder.StepOutput output() { return null; }
}
