package dev.sequoia.engine.cli;

import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sequoia synthetic} writes loadable models and turns bad options into usage errors. */
class SyntheticCommandTest {
    @TempDir
    Path dir;

    private int run(StringWriter err, String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void writesAQ8GgufThatLoads() {
        Path out = dir.resolve("m.gguf");
        assertEquals(0, run(new StringWriter(), "synthetic", "--shape", "tiny-test", "--type", "Q8_0",
                "--format", "gguf", "--out", out.toString(), "--seed", "3"));
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(TensorType.Q8_0, ModelLoader.load(out, null, arena).weights().layers().get(0).wq().type());
        }
    }

    @Test
    void writesASafetensorsFolderThatLoads() {
        Path out = dir.resolve("hf");
        assertEquals(0, run(new StringWriter(), "synthetic", "--shape", "tiny-test", "--type", "BF16",
                "--format", "safetensors", "--out", out.toString()));
        try (Arena arena = Arena.ofConfined()) {
            assertEquals("safetensors", ModelLoader.load(out, null, arena).format());
        }
    }

    @Test
    void unknownShapeAndQuantizedSafetensorsAreClearErrors() {
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "synthetic", "--shape", "nope", "--out", dir.resolve("x").toString()));
        assertTrue(err.toString().contains("unknown shape 'nope'"), err.toString());
        StringWriter err2 = new StringWriter();
        assertEquals(2, run(err2, "synthetic", "--shape", "tiny-test", "--type", "Q4_0", "--format", "safetensors",
                "--out", dir.resolve("y").toString()));
        assertTrue(err2.toString().contains("Q4_0"), err2.toString());
        StringWriter err3 = new StringWriter();
        assertEquals(2, run(err3, "synthetic", "--shape", "tiny-test", "--type", "Q5_K", "--out", "z"));
        assertTrue(err3.toString().contains("Q5_K"), err3.toString());
    }

    @Test
    void plantingAModelThatDoesNotFitIsOneLineAndWritesNothing() throws java.io.IOException {
        Path models = dev.sequoia.engine.testing.Fixtures.target().getParent();
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "synthetic", "--shape", "tiny-demo", "--type", "Q8_0", "--plant",
                models.resolve("stories260K.bin").toString(), "--tokenizer", models.resolve("tok512.bin").toString(),
                "--out", dir.resolve("p.gguf").toString()));
        assertEquals("sequoia synthetic: error: the small model's layers 5 is larger than the shape's 4",
                err.toString().strip());
        StringWriter err2 = new StringWriter();
        assertEquals(2, run(err2, "synthetic", "--shape", "tinyllama-1.1b", "--type", "Q8_0", "--plant",
                models.resolve("stories260K.bin").toString(), "--out", dir.resolve("q.gguf").toString()));
        assertTrue(err2.toString().strip().endsWith("has no tokenizer: give its tokenizer (--tokenizer)"), err2.toString());
        try (var files = java.nio.file.Files.list(dir)) {
            assertEquals(0, files.count(), "nothing is left behind");
        }
    }

    @Test
    void aTokenizerThatDoesNotMatchTheSmallModelIsOneLineAndWritesNothing() throws java.io.IOException {
        Path models = dev.sequoia.engine.testing.Fixtures.target().getParent();
        Path tokenizer = dir.resolve("tok513.bin"); // tok512 with one more token than the model's vocabulary
        java.nio.file.Files.write(tokenizer, java.nio.file.Files.readAllBytes(models.resolve("tok512.bin")));
        java.nio.file.Files.write(tokenizer, new byte[]{0, 0, 0, 0, 1, 0, 0, 0, 'x'}, java.nio.file.StandardOpenOption.APPEND);
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "synthetic", "--shape", "tinyllama-1.1b", "--type", "Q8_0", "--plant",
                models.resolve("stories260K.bin").toString(), "--tokenizer", tokenizer.toString(),
                "--out", dir.resolve("p.gguf").toString()));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("does not match a model with vocab_size 512"), err.toString());
        assertTrue(java.nio.file.Files.notExists(dir.resolve("p.gguf")));
    }
}
