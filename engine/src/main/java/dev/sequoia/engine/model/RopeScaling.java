package dev.sequoia.engine.model;

/**
 * Llama 3 ("llama3" rope_type) frequency scaling: long wavelengths are divided by {@code factor},
 * short ones kept, and the band between smoothly interpolated.
 */
public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalContextLength) {
    public RopeScaling {
        if (!(factor >= 1) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalContextLength <= 0) {
            throw new IllegalArgumentException("invalid llama3 rope scaling: factor=" + factor + " low_freq_factor="
                    + lowFreqFactor + " high_freq_factor=" + highFreqFactor
                    + " original_max_position_embeddings=" + originalContextLength);
        }
    }

    /** Scales one inverse frequency as Llama 3's reference code does. */
    public double scale(double invFreq) {
        double wavelength = 2 * Math.PI / invFreq;
        double lowWavelen = originalContextLength / lowFreqFactor;
        double highWavelen = originalContextLength / highFreqFactor;
        if (wavelength < highWavelen) return invFreq;
        if (wavelength > lowWavelen) return invFreq / factor;
        double smooth = (originalContextLength / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * invFreq / factor + smooth * invFreq;
    }
}
