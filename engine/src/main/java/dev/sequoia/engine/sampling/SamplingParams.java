package dev.sequoia.engine.sampling;

/**
 * How the next token is chosen from the logits.
 *
 * @param temperature 0 for greedy (argmax, lowest id on ties), otherwise the softmax temperature
 * @param topK        keep only the K most likely tokens; 0 disables
 * @param topP        nucleus: keep the smallest set of most likely tokens whose mass reaches topP, the
 *                    crossing token included (Hugging Face semantics); 1 disables
 * @param seed        seed of the random generator, for reproducible sampling
 */
public record SamplingParams(double temperature, int topK, double topP, long seed) {
    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0 (0 disables it), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
    }

    public static SamplingParams greedy() { return new SamplingParams(0, 0, 1, 0); }

    public boolean isGreedy() { return temperature == 0; }
}
