package dev.sequoia.tree;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Sequoia's acceptance vector (paper Def. 3.2): {@code p(k)} is the unconditional probability that the
 * rank-k child of an accepted node is the one accepted. The events are disjoint, so the entries are
 * non-negative and sum to at most 1; {@code 1 - sum} is the probability that every child is rejected.
 *
 * <p>Immutable; the array is copied in and out.
 */
public record AcceptanceVector(double[] probabilities) {
    /** Slack allowed on {@code sum p <= 1} for vectors read from text with rounded entries. */
    static final double SUM_TOLERANCE = 1e-6;

    public AcceptanceVector {
        probabilities = probabilities.clone();
        if (probabilities.length == 0) {
            throw new IllegalArgumentException("acceptance vector is empty: expected at least p1");
        }
        double sum = 0;
        for (int k = 0; k < probabilities.length; k++) {
            double p = probabilities[k];
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("acceptance vector entry p" + (k + 1) + " = " + p
                        + ": expected a probability in [0, 1]");
            }
            sum += p;
        }
        if (sum > 1 + SUM_TOLERANCE) {
            throw new IllegalArgumentException("acceptance vector sums to " + sum
                    + ": expected at most 1 (p_k are disjoint events: the rank-k child is the accepted one)");
        }
    }

    public static AcceptanceVector of(double... probabilities) {
        return new AcceptanceVector(probabilities);
    }

    /**
     * Parses entries separated by commas and/or whitespace, optionally inside one pair of brackets,
     * e.g. {@code "0.6, 0.2, 0.1"} or {@code "[0.6 0.2 0.1]"}.
     *
     * @param source names the origin (a file, an option) in error messages
     */
    public static AcceptanceVector parse(String text, String source) {
        String body = text.strip();
        if (body.startsWith("[") && body.endsWith("]")) {
            body = body.substring(1, body.length() - 1);
        }
        String[] parts = body.strip().split("[,\\s]+");
        double[] p = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                p[i] = Double.parseDouble(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(source + ": acceptance entry " + (i + 1) + " is '" + parts[i]
                        + "': expected a decimal number", e);
            }
        }
        try {
            return new AcceptanceVector(p);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** Reads a vector written as {@link #parse} accepts (a JSON array of numbers qualifies). */
    public static AcceptanceVector read(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    /** B, the number of ranks the vector covers (the largest fan-out it can price). */
    public int width() {
        return probabilities.length;
    }

    /** {@code p(rank)} for rank 1..width; 0 beyond the measured width. */
    public double p(int rank) {
        if (rank < 1) {
            throw new IllegalArgumentException("rank " + rank + ": ranks start at 1");
        }
        return rank <= probabilities.length ? probabilities[rank - 1] : 0.0;
    }

    @Override
    public double[] probabilities() {
        return probabilities.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AcceptanceVector v && Arrays.equals(probabilities, v.probabilities);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(probabilities);
    }

    @Override
    public String toString() {
        return "AcceptanceVector" + Arrays.toString(probabilities);
    }
}
