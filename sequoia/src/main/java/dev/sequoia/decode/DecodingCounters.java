package dev.sequoia.decode;

/**
 * Running totals of a {@link SpeculativeDecoder}: steps, model forwards and tokens. Written only by the
 * decoder's thread; read them from that thread too.
 */
public final class DecodingCounters {
    private long steps;
    private long targetForwards;
    private long draftForwards;
    private long acceptedTokens;
    private long emittedTokens;

    void recordStep(int accepted) {
        steps++;
        acceptedTokens += accepted;
        emittedTokens += accepted + 1;
    }

    void recordTargetForward() {
        targetForwards++;
    }

    void recordDraftForward() {
        draftForwards++;
    }

    public long steps() {
        return steps;
    }

    public long targetForwards() {
        return targetForwards;
    }

    public long draftForwards() {
        return draftForwards;
    }

    /** Drafted tokens the target accepted. */
    public long acceptedTokens() {
        return acceptedTokens;
    }

    /** Accepted plus one bonus token per step. */
    public long emittedTokens() {
        return emittedTokens;
    }

    /** Emitted tokens per target forward: the measured counterpart of G(T). */
    public double tokensPerStep() {
        return targetForwards == 0 ? 0 : emittedTokens / (double) targetForwards;
    }
}
