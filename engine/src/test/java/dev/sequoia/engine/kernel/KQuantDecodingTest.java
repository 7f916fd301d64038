package dev.sequoia.engine.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.TensorSlice;
import dev.sequoia.engine.format.gguf.GgufFile;
import dev.sequoia.engine.format.gguf.GgufReader;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Block decoding against ggml's own: every tensor of every llama.cpp-quantized fixture file, decoded row by row
 * by the scalar reference ({@link ScalarMatMul}, {@link KQuantBlocks}) and by the vector decoders
 * ({@link VectorDequant}, {@link VectorKQuants}), must hash (sha256 of the float32 values) exactly as
 * {@code golden/dequant/<TYPE>.json} says ggml's {@code to_float} does.
 */
class KQuantDecodingTest {
    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q4_0", "Q8_0", "F16"})
    void everyTensorDecodesBitExactlyAsGgml(String label) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(Fixtures.fixture("llamacpp/golden/dequant/" + label + ".json").toFile());
        Path file = Fixtures.fixture("llamacpp/" + golden.get("model_file").asText());
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
             VectorMatMul vector = new VectorMatMul(1, false)) {
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            Map<String, TensorSlice> slices = GgufReader.slices(GgufReader.read(file, map));
            int checked = 0;
            for (JsonNode t : golden.get("tensors")) {
                TensorSlice s = slices.get(t.get("name").asText());
                assertNotNull(s, label + ": tensor " + t.get("name").asText() + " missing");
                assertEquals(t.get("type").asText().toUpperCase(), s.type().name(), label + ": type of " + s.name());
                long[] shape = s.shape();
                int cols = (int) shape[shape.length - 1];
                int rows = (int) (s.elements() / cols);
                WeightMatrix w = new WeightMatrix(s.name(), s.type(), rows, cols, s.data());
                String expected = t.get("sha256_f32").asText();
                assertEquals(expected, sha256(w, new ScalarMatMul()), label + ": scalar decoding of " + s.name());
                assertEquals(expected, sha256(w, vector), label + ": vector decoding of " + s.name());
                checked++;
            }
            assertEquals(slices.size(), checked, label + ": every tensor of the file has a golden hash");
        }
    }

    private static String sha256(WeightMatrix w, MatMul m) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        float[] row = new float[w.cols()];
        ByteBuffer bytes = ByteBuffer.allocate(4 * w.cols()).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < w.rows(); r++) {
            m.dequantizeRow(w, r, row, 0);
            bytes.clear();
            bytes.asFloatBuffer().put(row);
            md.update(bytes.array());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
