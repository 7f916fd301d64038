package dev.sequoia.engine.format.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.RowStreamer;
import dev.sequoia.engine.format.TensorPlan;
import dev.sequoia.engine.tensor.TensorType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one {@code .safetensors} file: the JSON header (space-padded to a multiple of 8 bytes) with each
 * tensor's dtype, outer-first shape and data offsets, then the data streamed row by row. F32, F16, BF16.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    public static void write(Path file, List<TensorPlan> tensors) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long offset = 0;
        for (TensorPlan t : tensors) {
            if (t.type().isQuantized()) {
                throw new IllegalArgumentException(t.name() + ": safetensors holds F32, F16 or BF16, not " + t.type());
            }
            header.put(t.name(), Map.of("dtype", t.type() == TensorType.F32 ? "F32" : t.type().name(),
                    "shape", t.shape(), "data_offsets", List.of(offset, offset + t.byteSize())));
            offset += t.byteSize();
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (head.hasRemaining()) ch.write(head);
            RowStreamer rows = new RowStreamer(ch);
            for (TensorPlan t : tensors) rows.write(t);
            rows.flush();
        }
    }
}
