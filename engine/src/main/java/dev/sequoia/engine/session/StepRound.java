package dev.sequoia.engine.session;

/**
 * One decoding step of a session that a shared pass drives: it asks for one forward at a time (the draft's
 * levels, then the target's verification forward), the pass runs it, alone or batched with other sessions'
 * forwards, and hands back the logits. The round draws from the session's own random stream in the same order
 * as {@link StepDecoder#step}, so its output is what that step would give.
 *
 * <p>Confined to the engine thread.
 */
public interface StepRound {
    /** The forward this round waits for, or null once its step is done ({@link #output()} is ready). */
    SharedForward.Request next();

    /** Whether {@link #next()} is the target's verification forward (the pass runs those together, last). */
    boolean verifies();

    /** The logits of the forward {@link #next()} asked for. */
    void supply(float[][] logits);

    /** The step's output, once done. */
    StepDecoder.StepOutput output();

    /** Runs this round's forwards one after another, each alone (no shared pass), and returns its output. */
    default StepDecoder.StepOutput runAlone() {
        for (SharedForward.Request r = next(); r != null; r = next()) supply(r.model().forward(r));
        return output();
    }
}
