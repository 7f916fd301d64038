package dev.sequoia.engine.bench;

/**
 * Verification time of one batch size: the median t(n) and the median of t(n)/t(1) over pairs measured
 * back to back.
 *
 * @param seconds median seconds of a forward over n tree tokens
 * @param ratio   median over pairs of t(n) / t(1)
 */
public record VerifyTiming(double seconds, double ratio) {
    static VerifyTiming of(double[] t1, double[] tn) {
        double[] ratios = new double[tn.length];
        for (int i = 0; i < tn.length; i++) ratios[i] = tn[i] / t1[i];
        return new VerifyTiming(ForwardBench.median(tn), ForwardBench.median(ratios));
    }
}
