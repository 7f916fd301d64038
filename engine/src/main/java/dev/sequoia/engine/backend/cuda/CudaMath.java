package dev.sequoia.engine.backend.cuda;

/** Small helpers shared by the CUDA checks. */
final class CudaMath {
    private CudaMath() {}

    /** Index of the largest value; the lowest index wins ties (as the golden files do). */
    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
