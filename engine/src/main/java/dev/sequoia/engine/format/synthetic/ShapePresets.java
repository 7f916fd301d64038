package dev.sequoia.engine.format.synthetic;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.model.RopeScaling;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Named model shapes from {@code configs/models/NAME.json} (on the class path; the repository's
 * {@code configs/} folder). A preset becomes a {@link LlamaConfig} in the interleaved (GGUF) layout.
 */
public final class ShapePresets {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShapePresets() {}

    public static LlamaConfig load(String name) {
        if (!name.matches("[A-Za-z0-9._-]+")) throw new IllegalArgumentException("invalid shape name '" + name + "'");
        String resource = "configs/models/" + name + ".json";
        Path where = Path.of(resource);
        try (InputStream in = ShapePresets.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalArgumentException("unknown shape '" + name + "': no " + resource);
            return parse(where, JSON.readTree(in));
        } catch (JacksonException e) {
            throw new ModelFormatException(where, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static LlamaConfig parse(Path where, JsonNode p) {
        int dim = field(where, p, "dim"), heads = field(where, p, "heads");
        JsonNode s = p.path("rope_scaling");
        try {
            RopeScaling scaling = s.isObject() ? new RopeScaling(s.path("factor").asDouble(),
                    s.path("low_freq_factor").asDouble(), s.path("high_freq_factor").asDouble(),
                    field(where, s, "original_max_position_embeddings")) : null;
            return new LlamaConfig(dim, field(where, p, "hidden_dim"), field(where, p, "layers"), heads,
                    field(where, p, "kv_heads"), field(where, p, "vocab_size"), field(where, p, "context_length"),
                    (float) p.path("rms_eps").asDouble(1e-5), (float) p.path("rope_theta").asDouble(10000),
                    dim / heads, RopeLayout.INTERLEAVED, scaling);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ModelFormatException(where, e.getMessage(), e);
        }
    }

    private static int field(Path where, JsonNode p, String name) {
        JsonNode v = p.path(name);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ModelFormatException(where, "field '" + name + "' is " + (v.isMissingNode() ? "missing" : v)
                    + ", expected an integer");
        }
        return v.asInt();
    }
}
