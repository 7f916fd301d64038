package dev.sequoia.engine.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the tiny real models in {@code ../shared/models} (the build passes the folder as the system
 * property {@code sequoia.shared.dir}). Tests that need them call {@link #require}: in CI (CI=true) a
 * missing file fails the test; elsewhere the test is skipped with a message naming the missing file.
 */
public final class SharedModels {
    private SharedModels() {}

    public static Path dir() {
        String shared = System.getProperty("sequoia.shared.dir", "../shared");
        return Path.of(shared).resolve("models").toAbsolutePath().normalize();
    }

    /** The file {@code models/<name>}, which must exist. */
    public static Path require(String name) {
        Path p = dir().resolve(name);
        if (!Files.isRegularFile(p)) {
            String why = "shared model file missing: " + p;
            if ("true".equals(System.getenv("CI"))) throw new AssertionError(why);
            Assumptions.abort(why);
        }
        return p;
    }

    public static Path target() { return require("stories260K.bin"); }
    public static Path targetGguf() { return require("stories260K.gguf"); }
    public static Path draft() { return require("draft-stories260K-d32.bin"); }
    public static Path tokenizer() { return require("tok512.bin"); }
    public static Path targetGolden() { return require("golden/stories260K-golden.json"); }
    public static Path draftGolden() { return require("golden/draft-stories260K-d32-golden.json"); }
}
