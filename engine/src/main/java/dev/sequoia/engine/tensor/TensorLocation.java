package dev.sequoia.engine.tensor;

import java.nio.file.Path;

/**
 * Where a tensor's bytes lie on disk: the file (a model may span several: split GGUF parts, safetensors
 * shards) and the byte range in it. Loaders record it beside the mapped views, so the layer streamer can read
 * the same bytes with direct I/O.
 */
public record TensorLocation(Path file, long offset, long length) {
    public TensorLocation {
        if (file == null || offset < 0 || length <= 0) {
            throw new IllegalArgumentException("tensor location needs a file, offset >= 0 and length > 0, got "
                    + file + " offset=" + offset + " length=" + length);
        }
    }
}
