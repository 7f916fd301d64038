package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.speculative.RecordingModel;

/**
 * A {@link CudaTransformer} (and so one sequence's device KV cache) as the speculative decoder sees a model:
 * the CUDA twin of {@code speculative.TransformerModel} (logits and forward time recorded by
 * {@link RecordingModel}; a forward returns after its logits are on the host).
 *
 * <p>Confined to the engine thread; does not own the transformer.
 */
final class CudaDecodingModel extends RecordingModel {
    private final CudaTransformer transformer;
    private final int vocabSize;

    CudaDecodingModel(CudaTransformer transformer, int vocabSize) {
        this.transformer = transformer;
        this.vocabSize = vocabSize;
    }

    CudaTransformer transformer() { return transformer; }

    @Override
    protected float[][] forwardRows(int[] tokens, int[] parents) { return transformer.forward(tokens, parents); }

    @Override
    protected void keepRows(int[] pendingIndices) { transformer.keep(pendingIndices); }

    @Override
    public int committedLength() { return transformer.committed(); }

    @Override
    public int vocabSize() { return vocabSize; }
}
