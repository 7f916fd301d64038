package dev.sequoia.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.api.StopReason;
import dev.sequoia.engine.cli.Main;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.engine.testing.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.sequoia.engine.server.TestServers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Real clients against the server: the official OpenAI Java client and LangChain4j's OpenAI chat models get the
 * text the CLI prints for the same prompt and seed, streaming and not; greedy output through the server equals
 * greedy generation on the golden prompts.
 */
class ClientCompatibilityTest {
    private static final String USER = "Tell me a story about a cat";
    private static final double T = 0.8;
    private static final long SEED = 7;
    private static final int N = 40;

    private static Engine engine;
    private static OpenAiServer server;
    private static OpenAIClient openai;

    @BeforeAll
    static void start() {
        engine = speculativeEngine();
        server = TestServers.start(engine);
        openai = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() {
        if (openai != null) openai.close();
        if (server != null) server.close();
        if (engine != null) engine.close();
    }

    /**
     * What {@code sequoia generate --json} prints as text for this prompt on the same speculative configuration;
     * with {@code chat}, {@code --chat}: the prompt is a user message rendered by the model's chat template.
     */
    private static String cli(String prompt, boolean chat, double temperature, long seed, int n) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> args = new java.util.ArrayList<>(List.of("generate", "--model", Fixtures.target().toString(),
                "--tokenizer", Fixtures.tokenizer().toString(), "--draft", Fixtures.draft().toString(), "--tree", "4x3",
                "--threads", "1", "--prompt", prompt, "-n", Integer.toString(n), "-t", Double.toString(temperature),
                "--seed", Long.toString(seed), "--json"));
        if (chat) args.add("--chat");
        int exit = cl.execute(args.toArray(String[]::new));
        assertEquals(0, exit, err.toString());
        String text = json(out.toString()).get("text").asText();
        assertTrue(text.length() > 20, "a real continuation: " + text);
        return text;
    }

    private static ChatCompletionCreateParams chatParams() {
        return ChatCompletionCreateParams.builder().model(MODEL).addUserMessage(USER).temperature(T).seed(SEED)
                .maxCompletionTokens(N).build();
    }

    @Test
    void openAiClientChatMatchesTheCli() {
        String expected = cli(USER, true, T, SEED, N);
        ChatCompletion whole = openai.chat().completions().create(chatParams());
        assertEquals(expected, whole.choices().getFirst().message().content().orElseThrow());
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(chatParams())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(streamed::append)));
        }
        assertEquals(expected, streamed.toString());
    }

    @Test
    void openAiClientCompletionsMatchTheCli() {
        String prompt = "Once upon a time";
        String expected = cli(prompt, false, T, SEED, N);
        CompletionCreateParams params = CompletionCreateParams.builder().model(MODEL).prompt(prompt).temperature(T)
                .seed(SEED).maxTokens(N).build();
        Completion whole = openai.completions().create(params);
        assertEquals(expected, whole.choices().getFirst().text());
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> stream = openai.completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> streamed.append(c.text())));
        }
        assertEquals(expected, streamed.toString());
    }

    @Test
    void langChain4jChatModelsMatchTheCli() throws Exception {
        String expected = cli(USER, true, T, SEED, N);
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(server.baseUrl() + "/v1").apiKey("unused")
                .modelName(MODEL).temperature(T).seed((int) SEED).maxCompletionTokens(N).maxRetries(0).build();
        assertEquals(expected, chat.chat(USER));

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl() + "/v1")
                .apiKey("unused").modelName(MODEL).temperature(T).seed((int) SEED).maxCompletionTokens(N).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(USER, new StreamingChatResponseHandler() {
            @Override public void onPartialResponse(String text) { partial.append(text); }
            @Override public void onCompleteResponse(ChatResponse response) { done.complete(response); }
            @Override public void onError(Throwable error) { done.completeExceptionally(error); }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        assertEquals(expected, partial.toString());
        assertEquals(expected, response.aiMessage().text());
        assertEquals(N, response.tokenUsage().outputTokenCount(), "usage from the include_usage chunk");
    }

    @Test
    void greedyThroughTheServerEqualsGreedyGenerateOnTheGoldenPrompts() {
        List<Golden.Case> cases = Golden.cases(Fixtures.targetGolden());
        List<String> mismatches = new ArrayList<>();
        for (Golden.Case c : cases) {
            int n = c.greedyTokens().length;
            GenerationResult direct;
            try (Session s = engine.openSession()) {
                direct = s.generate(GenerateRequest.greedy(c.prompt(), n));
            }
            if (direct.stopReason() == StopReason.MAX_TOKENS) assertEquals(c.greedyText(), direct.text(), c.prompt());
            else assertTrue(c.greedyText().startsWith(direct.text()), c.prompt());
            for (boolean stream : new boolean[]{false, true}) {
                String body = post(server, "/v1/completions", completion(c.prompt(), n, 0, 1, stream)).body();
                String text = stream ? streamedText(events(body)) : json(body).at("/choices/0/text").asText();
                if (!text.equals(direct.text())) mismatches.add(c.prompt() + " stream=" + stream + ": " + text);
            }
        }
        assertTrue(mismatches.isEmpty(), "server vs generate: " + mismatches);
        assertTrue(cases.size() >= 2);
    }
}
