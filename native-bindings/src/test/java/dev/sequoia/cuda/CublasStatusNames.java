package dev.sequoia.cuda;

import java.util.Map;

/** Test access to the safe layer's cublasStatus_t name table (package-private in {@link Cublas}). */
public final class CublasStatusNames {
    private CublasStatusNames() {}

    public static Map<Integer, String> get() {
        return Cublas.STATUS_NAMES;
    }
}
