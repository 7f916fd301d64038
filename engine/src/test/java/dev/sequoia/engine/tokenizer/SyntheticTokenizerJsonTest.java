package dev.sequoia.engine.tokenizer;

import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The tokenizer.json that the synthetic model writer puts in a safetensors folder loads, and tokenizes
 * exactly as the same vocabulary stored in the synthetic GGUF file (scores there, merge ranks here).
 */
class SyntheticTokenizerJsonTest {
    @TempDir Path dir;

    @Test
    void safetensorsTokenizerJsonAgreesWithTheGgufVocabulary() throws IOException {
        SyntheticModels synthetic = SyntheticModels.ofPreset("tiny-test", TensorType.F32, 11);
        Path gguf = dir.resolve("tiny.gguf");
        Path folder = dir.resolve("tiny-hf");
        synthetic.writeGguf(gguf);
        synthetic.writeSafetensors(folder);

        Tokenizer fromJson = TokenizerJson.read(folder.resolve("tokenizer.json"));
        Tokenizer fromGguf;
        try (Arena arena = Arena.ofConfined()) {
            fromGguf = ModelLoader.load(gguf, null, arena).tokenizer();
        }
        assertInstanceOf(SentencePieceTokenizer.class, fromJson);
        assertEquals(fromGguf.vocabSize(), fromJson.vocabSize());
        assertEquals(fromGguf.bos(), fromJson.bos());
        assertEquals(fromGguf.eos(), fromJson.eos());
        for (String text : List.of("the rain in Spain stays mainly on the plain", "Hello, World! 42 times.",
                "  two  spaces", "line\nbreak 你好 🙂", "a", "")) {
            int[] ids = fromJson.encode(text, true, false);
            assertArrayEquals(fromGguf.encode(text, true, false), ids, text);
            assertEquals(text, fromJson.decodeAll(ids[0], Arrays.copyOfRange(ids, 1, ids.length)), text);
        }
    }
}
