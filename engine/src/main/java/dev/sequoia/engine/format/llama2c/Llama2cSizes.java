package dev.sequoia.engine.format.llama2c;

import dev.sequoia.engine.format.ModelFormatException;

import java.nio.file.Path;

/** Overflow-checked size arithmetic for header-derived sizes: an absurd header is an error, not a wrap. */
final class Llama2cSizes {
    private Llama2cSizes() {}

    static long product(Path file, long... factors) {
        long p = 1;
        try {
            for (long f : factors) p = Math.multiplyExact(p, f);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(file, "header sizes overflow: " + java.util.Arrays.toString(factors));
        }
        return p;
    }

    static long sum(Path file, long... terms) {
        long s = 0;
        try {
            for (long t : terms) s = Math.addExact(s, t);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(file, "header sizes overflow: " + java.util.Arrays.toString(terms));
        }
        return s;
    }
}
