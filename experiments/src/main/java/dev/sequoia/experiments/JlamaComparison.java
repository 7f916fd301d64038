package dev.sequoia.experiments;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.bench.ForwardBench;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tensor.TensorType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

/**
 * Decode speed of Sequoia against Jlama (jlama-core 0.8.4) on the same synthetic model, same precision,
 * same thread count. Usage: {@code JlamaComparison SHAPE TYPE THREADS TOKENS}, TYPE F16 or Q8_0.
 *
 * <p>Both engines read the same synthetic Hugging Face folder (F16 safetensors, seed 1). For Q8_0, Jlama is
 * asked to quantize that folder to its 8-bit type (I8) at load and Sequoia reads the GGUF Q8_0 file generated
 * from the same shape and seed; jlama-core 0.8.4 then fails in its forward pass (see jlamaTokensPerSecond),
 * so only the F16 comparison runs to the end. Jlama's speed is its own measurement of generation time for greedy decoding of
 * TOKENS tokens; Sequoia's is the median time of a decode step (ForwardBench).
 */
public final class JlamaComparison {
    private static final int PROMPT_ALLOWANCE = 64;

    private JlamaComparison() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: JlamaComparison SHAPE F16|Q8_0 THREADS TOKENS");
            System.exit(2);
        }
        String shape = args[0];
        TensorType type = TensorType.valueOf(args[1]);
        int threads = Integer.parseInt(args[2]);
        int tokens = Integer.parseInt(args[3]);
        if (type != TensorType.F16 && type != TensorType.Q8_0) {
            throw new IllegalArgumentException("TYPE must be F16 or Q8_0, got " + type);
        }
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "sequoia", "synthetic");
        Path hf = hfFolder(cache, shape);
        Path sequoiaModel = type == TensorType.F16 ? hf : gguf(cache, shape, type);

        double sequoia = sequoiaTokensPerSecond(sequoiaModel, threads, tokens);
        System.err.printf("sequoia: %.3f tokens/s%n", sequoia);
        double jlama = jlamaTokensPerSecond(hf, type, threads, tokens);
        System.out.printf("{\"shape\":\"%s\",\"type\":\"%s\",\"threads\":%d,\"sequoia_decode_tokens_per_s\":%.3f,"
                + "\"jlama_decode_tokens_per_s\":%.3f,\"ratio\":%.3f}%n", shape, type, threads, sequoia, jlama,
                sequoia / jlama);
    }

    private static double sequoiaTokensPerSecond(Path model, int threads, int tokens) {
        try (Arena arena = Arena.ofShared(); VectorMatMul mm = new VectorMatMul(threads)) {
            Model m = ModelLoader.load(model, null, arena);
            return 1 / new ForwardBench(m, mm).decodeSeconds(tokens);
        }
    }

    private static double jlamaTokensPerSecond(Path hf, TensorType type, int threads, int tokens) {
        // loadModel sets Jlama's thread count (PhysicalCoreExecutor) from the last argument.
        Optional<DType> quantize = type == TensorType.Q8_0 ? Optional.of(DType.I8) : Optional.empty();
        // With weights quantized to I8, jlama-core 0.8.4 fails on this model either way (measured 2026-11-27):
        // working type I8 -> UnsupportedOperationException "F32" in PanamaTensorOperations.batchDotProduct
        // (attention); working type F32 -> UnsupportedOperationException "I8" (projections).
        AbstractModel model = ModelSupport.loadModel(hf.toFile(), null, DType.F32, DType.I8, quantize, Optional.of(threads));
        PromptContext prompt = PromptContext.of("Once upon a time");
        // Jlama's limit counts the prompt too; it reports prompt and generation times apart.
        model.generate(UUID.randomUUID(), prompt, 0.0f, PROMPT_ALLOWANCE + 8, (s, f) -> {}); // warm-up
        Generator.Response r = model.generate(UUID.randomUUID(), prompt, 0.0f, PROMPT_ALLOWANCE + tokens, (s, f) -> {});
        System.err.println("jlama: " + r.promptTokens + " prompt tokens, " + r.generatedTokens + " generated in "
                + r.generateTimeMs + " ms (" + r.finishReason + ")");
        if (r.generatedTokens < 2) {
            throw new IllegalStateException("Jlama generated " + r.generatedTokens + " tokens (" + r.finishReason + ")");
        }
        return r.generatedTokens / (r.generateTimeMs / 1000.0);
    }

    private static Path hfFolder(Path cache, String shape) throws IOException {
        Path dir = cache.resolve(shape + "-F16-s1-hf");
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
            System.err.println("generating " + dir + " (once)...");
            SyntheticModels.ofPreset(shape, TensorType.F16, 1).writeSafetensors(dir);
        }
        return dir;
    }

    private static Path gguf(Path cache, String shape, TensorType type) throws IOException {
        Path file = cache.resolve(shape + "-" + type.name() + "-s1.gguf");
        if (!Files.isRegularFile(file)) {
            System.err.println("generating " + file + " (once)...");
            Files.createDirectories(cache);
            SyntheticModels.ofPreset(shape, type, 1).writeGguf(file);
        }
        return file;
    }
}
