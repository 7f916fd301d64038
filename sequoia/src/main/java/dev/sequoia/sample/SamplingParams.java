package dev.sequoia.sample;

/**
 * How the target and the draft turn logits into distributions for speculative decoding. The target uses
 * {@code temperature} then Hugging Face top-p; temperature 0 is greedy (a one-hot at the argmax). The draft
 * uses plain {@code softmax(logits / draftTemperature)}, no top-p (verification is exact for any draft);
 * its temperature only changes how well it guesses.
 */
public record SamplingParams(double temperature, double topP, double draftTemperature) {
    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature " + temperature + ": expected a finite value >= 0");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p " + topP + ": expected a value in (0, 1]");
        }
        if (!(draftTemperature > 0) || Double.isInfinite(draftTemperature)) {
            throw new IllegalArgumentException("draft temperature " + draftTemperature
                    + ": expected a finite value > 0 (the draft must rank its tokens even when the target is greedy)");
        }
    }

    /** Greedy decoding; the draft ranks its candidates at temperature 1. */
    public static SamplingParams greedy() {
        return new SamplingParams(0, 1, 1);
    }

    /** Target and draft at the same temperature (greedy draft ranking at 1 when {@code temperature} is 0). */
    public static SamplingParams of(double temperature, double topP) {
        return new SamplingParams(temperature, topP, temperature > 0 ? temperature : 1);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    /** P: the target's distribution after temperature and top-p (one-hot at the argmax when greedy). */
    public double[] targetDistribution(float[] logits) {
        if (isGreedy()) {
            return Distributions.oneHot(logits.length, Distributions.argmax(logits));
        }
        return Distributions.topP(Distributions.softmax(logits, temperature), topP);
    }

    /** Q: the draft's distribution. */
    public double[] draftDistribution(float[] logits) {
        return Distributions.softmax(logits, draftTemperature);
    }
}
