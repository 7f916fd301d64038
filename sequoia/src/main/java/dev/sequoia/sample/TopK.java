package dev.sequoia.sample;

/** The k most probable tokens, most probable first; ties go to the lower token id. */
public final class TopK {
    private TopK() {
    }

    public static int[] indices(double[] p, int k) {
        int count = Math.min(k, p.length);
        int[] top = new int[count];
        int filled = 0;
        for (int x = 0; x < p.length; x++) {
            if (filled == count && !(p[x] > p[top[count - 1]])) {
                continue;
            }
            int pos = filled < count ? filled++ : count - 1;
            while (pos > 0 && p[x] > p[top[pos - 1]]) {
                top[pos] = top[pos - 1];
                pos--;
            }
            top[pos] = x;
        }
        return top;
    }
}
