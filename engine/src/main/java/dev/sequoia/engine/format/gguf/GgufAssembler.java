package dev.sequoia.engine.format.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes a GGUF v3 file from parts of other GGUF files, byte for byte: metadata entries as already encoded
 * ({@link GgufMetadata#encoded}, or {@link GgufWriter#encodeEntry} for new ones) and tensors as their stored
 * bytes (any type, K-quants included), at the given alignment. What the split writer and file rewrites use;
 * nothing is decoded or re-encoded.
 */
public final class GgufAssembler {
    /** A tensor as stored: name, dims inner-first (ggml ne), ggml type id and its bytes. */
    public record RawTensor(String name, long[] ne, int ggmlType, MemorySegment data) {
        public RawTensor {
            ne = ne.clone();
        }

        /** A tensor of {@code source} as that file stores it. */
        public static RawTensor of(GgufFile source, GgufTensorInfo t, long bytes) {
            return new RawTensor(t.name(), t.ne(), t.ggmlType(),
                    source.mapping().asSlice(source.dataStart() + t.offset(), bytes));
        }
    }

    private GgufAssembler() {}

    /**
     * @param entries   encoded metadata entries, in order; must not contain {@code general.alignment}
     * @param alignment the data alignment (written as {@code general.alignment} when not the default 32)
     */
    public static void write(Path file, List<byte[]> entries, List<RawTensor> tensors, int alignment) throws IOException {
        boolean writeAlignment = alignment != GgufReader.DEFAULT_ALIGNMENT;
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        head.writeBytes(GgufWriter.encodeStart(tensors.size(), entries.size() + (writeAlignment ? 1 : 0)));
        if (writeAlignment) {
            head.writeBytes(GgufWriter.encodeEntry("general.alignment",
                    new GgufWriter.Typed(GgufValueType.UINT32, alignment)));
        }
        entries.forEach(head::writeBytes);
        long offset = 0;
        for (RawTensor t : tensors) {
            head.writeBytes(GgufWriter.encodeTensorInfo(t.name(), t.ne(), t.ggmlType(), offset));
            offset = GgufReader.alignUp(offset + t.data().byteSize(), alignment);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] h = head.toByteArray();
            writeFully(ch, ByteBuffer.wrap(h));
            pad(ch, GgufReader.alignUp(h.length, alignment) - h.length);
            for (RawTensor t : tensors) {
                writeFully(ch, t.data().asByteBuffer());
                pad(ch, GgufReader.alignUp(t.data().byteSize(), alignment) - t.data().byteSize());
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static void pad(FileChannel ch, long n) throws IOException {
        if (n > 0) writeFully(ch, ByteBuffer.allocate((int) n));
    }
}
