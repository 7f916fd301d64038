package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code sequoia serve}: usage errors exit 2 with one line; a real process serves and drains on SIGTERM. */
class ServeCommandTest {
    @Test
    void badOptionsAreOneLineErrorsWithExitCode2() {
        CliRun port = CliRun.of("serve", "--model", Fixtures.target().toString(), "--tokenizer",
                Fixtures.tokenizer().toString(), "--port", "70000");
        assertEquals(2, port.exit(), port.err());
        assertTrue(port.err().contains("--port must be in [0, 65535], got 70000"), port.err());
        CliRun missing = CliRun.of("serve", "--model", "/nonexistent/model.bin");
        assertEquals(2, missing.exit(), missing.err());
        assertTrue(missing.err().contains("/nonexistent/model.bin"), missing.err());
    }

    @Test
    void aServeProcessAnswersAndStopsCleanlyOnSigterm() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--model", Fixtures.target().toString(), "--tokenizer",
                Fixtures.tokenizer().toString(), "--port", "0", "--threads", "1", "--api-key", "k"));
        Process serve = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            BufferedReader log = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
            Matcher started = null;
            for (String line; (line = log.readLine()) != null; ) {
                Matcher m = Pattern.compile("on (http://127\\.0\\.0\\.1:\\d+) ").matcher(line);
                if (m.find()) {
                    started = m;
                    break;
                }
            }
            assertNotNull(started, "the server says where it listens");
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(started.group(1) + "/v1/completions"))
                    .header("Authorization", "Bearer k")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once upon a time\", \"max_tokens\": 8, \"temperature\": 0}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(8, new ObjectMapper().readTree(r.body()).at("/usage/completion_tokens").asInt());
            serve.destroy(); // SIGTERM: the shutdown hook drains the server and closes the engine
            assertTrue(serve.waitFor(30, TimeUnit.SECONDS), "stopped after SIGTERM");
            assertEquals(143, serve.exitValue(), "128 + SIGTERM, after the shutdown hook ran");
        } finally {
            serve.destroyForcibly();
        }
    }
}
