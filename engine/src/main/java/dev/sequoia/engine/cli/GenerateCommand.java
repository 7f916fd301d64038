package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.GenerationStats;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.chat.ChatMessage;
import dev.sequoia.engine.sampling.Sampler.TokenLogprob;
import dev.sequoia.engine.speculative.AutoTree;
import dev.sequoia.optimize.TreeChoice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code sequoia generate}: one prompt in, a continuation out, as text or one JSON object. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a continuation of a prompt (plain or speculative decoding).")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    EngineOptions engineOptions = new EngineOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    ConfigFile configFile = new ConfigFile();

    @Option(names = {"-p", "--prompt"}, defaultValue = "", description = "Prompt text (default: empty, start from BOS).")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "128", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--logprobs", defaultValue = "0", paramLabel = "K", description = "Report the top K log-probabilities per generated token.")
    int logprobs;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when the output contains TEXT (repeatable).")
    List<String> stop;

    @Option(names = "--json", description = "Print one JSON object instead of streaming text.")
    boolean json;

    @Option(names = "--chat", description = "Chat: --prompt is a user message; the conversation is rendered with the"
            + " model's chat template (tokenizer.chat_template, else the built-in Llama 3 or Llama 2 one) and the"
            + " assistant's reply is generated.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message of the chat (implies --chat).")
    String system;

    @Option(names = "--messages", paramLabel = "FILE", description = "Earlier turns of the chat as a JSON array of"
            + " {\"role\": system|user|assistant|tool|ipython, \"content\": text} (implies --chat); --prompt, when"
            + " given, is appended as the next user message.")
    Path messages;

    @Option(names = "--parse-special", description = "Without --chat: special-token text in --prompt (<|eot_id|>, </s>)"
            + " becomes those tokens (default: plain text).")
    boolean parseSpecial;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        boolean chatting = chat || system != null || messages != null;
        List<ChatMessage> conversation = chatting ? ChatFiles.conversation(messages, system, prompt) : null;
        GenerateRequest request = new GenerateRequest(chatting ? "" : prompt, maxTokens, sampling.params(), stop, logprobs,
                parseSpecial);
        EngineConfig config = engineConfig();
        PrintWriter out = spec.commandLine().getOut();
        try (Engine engine = Engine.open(config); Session session = engine.openSession()) {
            engine.offloadReport().forEach(spec.commandLine().getErr()::println);
            if (json) {
                GenerationResult result = chatting ? session.chat(conversation, request) : session.generate(request);
                out.println(toJson(result, engine));
            } else {
                if (!chatting) out.print(prompt);
                dev.sequoia.engine.api.TokenListener print = (token, text) -> {
                    out.print(text);
                    out.flush();
                };
                GenerationResult result = (chatting ? session.chat(conversation, request, print)
                        : session.generate(request, print)).await();
                out.println();
                spec.commandLine().getErr().println(summary(result.stats()));
                if (prediction(engine, result.stats()) != null) spec.commandLine().getErr().println(prediction(engine, result.stats()));
            }
        }
        out.flush();
        return 0;
    }

    EngineConfig engineConfig() {
        return engineOptions.config();
    }

    static String summary(GenerationStats s) {
        return String.format("[%d prompt tokens, %d generated in %.2f s: %.2f tokens/s, %.2f tokens/step, %d target forwards]",
                s.promptTokens() + s.cachedTokens(), s.tokens(), s.totalNanos() / 1e9, s.tokensPerSecond(),
                s.tokensPerStep(), s.targetForwards())
                + (s.offload().layersStreamed() > 0 ? "\n[streamed target: " + s.offload() + "]" : "");
    }

    /** The optimizer's predicted seconds per step next to the measured ones, for {@code --tree auto} without a size. */
    static Map<String, Object> prediction(Engine engine, GenerationStats s) {
        if (!(engine.trees() instanceof AutoTree auto) || auto.lastChoice() == null || s.targetForwards() == 0) return null;
        TreeChoice c = auto.lastChoice();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("budget", c.budget());
        o.put("levels", c.levels());
        o.put("predicted_tokens_per_step", c.expectedTokens());
        o.put("predicted_s_per_step", c.timePerToken() * c.expectedTokens());
        o.put("predicted_s_per_token", c.timePerToken());
        o.put("predicted_speedup", c.predictedSpeedup());
        double measured = (s.totalNanos() - s.prefillNanos()) / 1e9 / s.targetForwards();
        o.put("measured_s_per_step", measured);
        o.put("measured_over_predicted", measured / (c.timePerToken() * c.expectedTokens()));
        return o;
    }

    static String toJson(GenerationResult r, Engine engine) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.set("prompt_tokens", ints(mapper, r.promptTokens()));
        root.set("tokens", ints(mapper, r.tokens()));
        root.put("text", r.text());
        root.put("stop_reason", r.stopReason().name().toLowerCase());
        if (!r.logprobs().isEmpty()) {
            ArrayNode positions = root.putArray("logprobs");
            for (TokenLogprob[] top : r.logprobs()) {
                ArrayNode entries = positions.addArray();
                for (TokenLogprob t : top) {
                    entries.addObject().put("token", t.token()).put("piece", engine.tokenizer().piece(t.token()))
                            .put("logprob", t.logprob());
                }
            }
        }
        root.set("stats", stats(mapper, r.stats()));
        Map<String, Object> prediction = prediction(engine, r.stats());
        if (prediction != null) root.putPOJO("prediction", prediction);
        try {
            return mapper.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static ObjectNode stats(ObjectMapper mapper, GenerationStats s) {
        ObjectNode o = mapper.createObjectNode();
        o.put("prompt_tokens_fed", s.promptTokens());
        o.put("prompt_tokens_cached", s.cachedTokens());
        o.put("generated_tokens", s.tokens());
        o.put("target_forwards", s.targetForwards());
        o.put("draft_forwards", s.draftForwards());
        o.put("tokens_per_step", s.tokensPerStep());
        o.put("tokens_per_s", s.tokensPerSecond());
        o.put("prefill_s", s.prefillNanos() / 1e9);
        o.put("draft_s", s.draftNanos() / 1e9);
        o.put("verify_s", s.verifyNanos() / 1e9);
        o.put("sample_s", s.sampleNanos() / 1e9);
        o.put("total_s", s.totalNanos() / 1e9);
        if (s.offload().layersStreamed() > 0) o.putPOJO("offload", OffloadOptions.json(s.offload()));
        return o;
    }

    private static ArrayNode ints(ObjectMapper mapper, int[] values) {
        ArrayNode a = mapper.createArrayNode();
        for (int v : values) a.add(v);
        return a;
    }
}
