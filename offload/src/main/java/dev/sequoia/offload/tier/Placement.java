package dev.sequoia.offload.tier;

/**
 * Where a layer's bytes live. On a CPU-only machine the chain is FILE -> COMPUTE (RAM slots, read with
 * direct I/O); with CUDA it is FILE (mapped) -> PINNED_HOST -> COMPUTE (device memory over PCIe).
 */
public enum Placement {
    /** Only in the model file; read on demand. */
    FILE,
    /** An ordinary host buffer. */
    HOST,
    /** Page-locked host memory a device can copy from asynchronously. */
    PINNED_HOST,
    /** The memory the kernels read: RAM for the CPU backend, device memory for CUDA. */
    COMPUTE
}
