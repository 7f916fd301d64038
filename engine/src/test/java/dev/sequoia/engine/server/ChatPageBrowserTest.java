package dev.sequoia.engine.server;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import dev.sequoia.engine.api.Engine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.sequoia.engine.server.TestServers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The chat page in a real browser: Playwright drives Debian's Chromium (installed by {@code .ci/run}; Playwright
 * never downloads a browser of its own). The page streams the reply and shows tokens/s and tokens per step.
 */
class ChatPageBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    private static Engine engine;
    private static OpenAiServer server;
    private static Playwright playwright;
    private static Browser browser;

    @BeforeAll
    static void start() {
        assertTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing: install Debian's chromium (.ci/run does)");
        engine = speculativeEngine();
        server = TestServers.start(engine);
        playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(CHROMIUM)
                .setHeadless(true).setArgs(List.of("--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-dev-shm-usage")));
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.close();
        if (playwright != null) playwright.close();
        if (server != null) server.close();
        if (engine != null) engine.close();
    }

    @Test
    void thePageStreamsTheReplyAndShowsTokensPerSecondAndPerStep() {
        Page page = browser.newPage();
        page.navigate(server.baseUrl() + "/");
        page.waitForFunction("() => document.getElementById('model').textContent !== ''");
        assertEquals(MODEL, page.locator("#model").textContent(), "the page asked /v1/models");
        page.locator("summary").click();
        page.locator("#max").fill("24");
        page.locator("#temp").fill("0");
        page.locator("#prompt").fill("Hi");
        page.locator("#send").click();
        Locator reply = page.locator(".assistant").first();
        page.waitForFunction("() => document.getElementById('tpstep').textContent !== '-'");
        String expected = json(post(server, "/v1/chat/completions", chat("Hi", 24, 0, 1, false)).body())
                .at("/choices/0/message/content").asText();
        assertEquals(expected, reply.textContent(), "the streamed reply is the server's greedy reply");
        double perStep = Double.parseDouble(page.locator("#tpstep").textContent());
        double perSecond = Double.parseDouble(page.locator("#tps").textContent());
        assertTrue(perStep > 1, "speculation shows more than one token per step: " + perStep);
        assertTrue(perSecond > 0);

        // a second turn continues the conversation (the page keeps its messages and conversation id)
        page.locator("#prompt").fill("And then?");
        page.locator("#send").click();
        page.waitForFunction("() => document.querySelectorAll('.assistant').length == 2"
                + " && !document.getElementById('send').disabled");
        assertFalse(page.locator(".assistant").nth(1).textContent().isEmpty());
        assertEquals(0, page.locator(".error").count(), "no error shown");
    }
}
