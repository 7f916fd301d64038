package dev.sequoia.engine.testing;

import dev.sequoia.engine.api.ModelSpec;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Locates the test material that travels with the project: the bundled tiny real models (main resources,
 * {@code dev/sequoia/engine/models/stories260K/}, which the demo uses too) and the test fixtures
 * ({@code src/test/resources/fixtures/}: golden outputs, llama.cpp-quantized K-quant files, real tokenizers).
 * A missing file is an error, never a skip: a clone of the repository has everything the tests need.
 */
public final class Fixtures {
    private Fixtures() {}

    /** Main-resource folder of the bundled stories260K pair. */
    public static final String MODELS = "/dev/sequoia/engine/models/stories260K/";
    /** Test-resource folder of everything else. */
    public static final String FIXTURES = "/fixtures/";

    /** The bundled model file {@code name} (stories260K.bin, stories260K.gguf, tok512.bin, the draft). */
    public static Path model(String name) { return resource(MODELS + name); }

    /** The fixture {@code relative} under {@code fixtures/} (for example {@code llamacpp/kquant-tiny-s11-Q6_K.gguf}). */
    public static Path fixture(String relative) { return resource(FIXTURES + relative); }

    /**
     * Compatibility with the layout of {@code shared/models}: a model file by its bare name, or a golden file
     * as {@code golden/...}, or a llama.cpp fixture as {@code llamacpp/...}.
     */
    public static Path require(String name) {
        return name.contains("/") ? fixture(name) : model(name);
    }

    public static Path target() { return model("stories260K.bin"); }
    public static Path targetGguf() { return model("stories260K.gguf"); }
    public static Path draft() { return model("draft-stories260K-d32.bin"); }
    public static Path tokenizer() { return model("tok512.bin"); }
    /** The real pair as the engine opens them: the stories260K target and its distilled draft, with their tokenizer. */
    public static ModelSpec targetSpec() { return new ModelSpec(target(), tokenizer()); }
    public static ModelSpec draftSpec() { return new ModelSpec(draft(), tokenizer()); }
    public static Path targetGolden() { return fixture("golden/stories260K-golden.json"); }
    public static Path draftGolden() { return fixture("golden/draft-stories260K-d32-golden.json"); }

    private static Path resource(String absoluteName) {
        URL url = Fixtures.class.getResource(absoluteName);
        if (url == null) throw new AssertionError("test fixture missing from the class path: " + absoluteName);
        try {
            if ("jar".equals(url.getProtocol())) return extracted(absoluteName, url);
            Path p = Path.of(url.toURI());
            if (!Files.isRegularFile(p)) throw new AssertionError("test fixture is not a file: " + p);
            return p;
        } catch (URISyntaxException | IOException e) {
            throw new AssertionError("test fixture " + absoluteName + " cannot be read: " + url, e);
        }
    }

    /** Tests packed in a jar (the GPU check's runner): the fixture is copied out once, since models are mapped. */
    private static synchronized Path extracted(String absoluteName, URL url) throws IOException {
        Path out = Path.of(System.getProperty("java.io.tmpdir"), "sequoia-fixtures" + ProcessHandle.current().pid())
                .resolve(absoluteName.substring(1));
        if (!Files.isRegularFile(out)) {
            Files.createDirectories(out.getParent());
            try (InputStream in = url.openStream()) {
                Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            }
            out.toFile().deleteOnExit();
        }
        return out;
    }
}
