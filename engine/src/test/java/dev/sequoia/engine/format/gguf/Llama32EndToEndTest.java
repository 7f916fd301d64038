package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.chat.ChatMessage;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.model.RopeScaling;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.engine.tokenizer.RealVocabularies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A GGUF in the form llama.cpp's converter writes a Llama 3.2 Instruct model, at a tiny width: the real Llama 3
 * vocabulary (128256 tokens, pre "llama-bpe", eos = <|eot_id|>), Llama 3.1 rope factors as {@code rope_freqs.weight},
 * tied embeddings (no output.weight), the real Llama 3.1 chat template, split in 3 parts. It loads, chats with
 * the prompt ids the Llama 3 chat format publishes, and runs the same resident and streamed.
 */
class Llama32EndToEndTest {
    private static final int VOCAB = 128256;
    private static final RopeScaling SCALING = new RopeScaling(32, 1, 4, 8192);
    private static final LlamaConfig SHAPE = new LlamaConfig(64, 192, 2, 4, 2, VOCAB, 512, 1e-5f, 500000f, 16,
            RopeLayout.INTERLEAVED, SCALING);

    @TempDir
    Path dir;

    private Path llama32() throws IOException {
        Path synthetic = dir.resolve("synthetic.gguf");
        new SyntheticModels(SHAPE, TensorType.Q8_0, 5).writeGguf(synthetic);
        GgufRewrite r = new GgufRewrite(synthetic);
        for (String k : List.of(GgufLlamaConfig.SCALING_TYPE, GgufLlamaConfig.SCALING_FACTOR, GgufLlamaConfig.SCALING_LOW,
                GgufLlamaConfig.SCALING_HIGH, GgufLlamaConfig.SCALING_ORIGINAL_CONTEXT, GgufTokenizers.SCORES,
                GgufTokenizers.UNK)) {
            r.dropKey(k);
        }
        RealVocabularies.llama3Metadata(RealVocabularies.tokenizerJson("llama3.1", dir), 128009).forEach(r::putKey);
        r.putKey(GgufTokenizers.CHAT_TEMPLATE, Files.readString(Fixtures.fixture("chat/llama3.1-instruct.jinja")));
        float[] factors = new float[SHAPE.ropeDim() / 2];
        for (int j = 0; j < factors.length; j++) factors[j] = j < 3 ? 1 : j < 5 ? 2.5f : 32; // llama.cpp's form
        r.addF32(GgufLlamaConfig.ROPE_FREQS, factors).dropTensor("output.weight");
        return r.writeTo(dir.resolve("llama32.gguf"));
    }

    @Test
    void loadsChatsAndStreamsFromSplitParts() throws IOException {
        Path single = llama32();
        List<Path> parts = GgufSplitWriter.split(single, dir.resolve("llama32"), 3);
        List<ChatMessage> chat = List.of(ChatMessage.user("hello"));
        GenerationResult resident, streamed;
        try (Engine e = Engine.open(EngineConfig.builder(new ModelSpec(parts.getFirst(), null)).threads(1)
                .contextLength(128).build()); Session s = e.openSession()) {
            assertNotNull(e.target().config().ropeFreqFactors());
            assertSame(e.target().weights().tokenEmbedding(), e.target().weights().classifier(), "tied embeddings");
            assertArrayEquals(new int[] {128008, 128009}, e.stopTokens(), "eos = <|eot_id|>, and <|eom_id|> by its name");
            resident = s.chat(chat, GenerateRequest.greedy("", 8));
        }
        // Llama 3.1's template: a system header with the knowledge and (default) date lines, then the user turn
        int[] prompt = resident.promptTokens();
        assertEquals(128000, prompt[0]);
        assertEquals(128006, prompt[1]);
        int[] tail = java.util.Arrays.copyOfRange(prompt, prompt.length - 10, prompt.length);
        assertArrayEquals(new int[] {128006, 882, 128007, 271, 15339, 128009, 128006, 78191, 128007, 271}, tail,
                "the published ids of the user turn and the assistant header");
        try (Engine e = Engine.open(EngineConfig.builder(new ModelSpec(parts.getFirst(), null)).threads(1)
                .contextLength(128).offload(new dev.sequoia.engine.backend.offload.OffloadSettings(64L << 20,
                        new dev.sequoia.offload.plan.PlanOverrides(new java.util.TreeSet<>(), 2), 1, 64 * 1024)).build());
             Session s = e.openSession()) {
            streamed = s.chat(chat, GenerateRequest.greedy("", 8));
        }
        assertArrayEquals(resident.tokens(), streamed.tokens());
        assertTrue(streamed.stats().offload().bytesStreamed() > 0);
    }
}
