package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sequoia bench}: the JSON report's fields, on the shared tiny model (small probe, few iterations). */
class BenchCommandTest {
    @Test
    void decodeReportsRooflineFields() throws Exception {
        JsonNode r = run("decode", "--model", Fixtures.targetGguf().toString(), "--iterations", "3");
        assertEquals("decode", r.get("mode").asText());
        for (String f : new String[] {"decode_tokens_per_s", "weight_bytes_per_token", "achieved_gbps", "stream_gbps",
                "roofline_fraction"}) {
            assertTrue(r.get(f).asDouble() > 0, f + " must be positive in " + r);
        }
        double achieved = r.get("weight_bytes_per_token").asDouble() / r.get("seconds_per_token").asDouble() / 1e9;
        assertEquals(achieved, r.get("achieved_gbps").asDouble(), 1e-9 * achieved);
        double fraction = r.get("roofline_fraction").asDouble();
        JsonNode range = r.get("roofline_fraction_min_max");
        assertTrue(range.get(0).asDouble() <= fraction && fraction <= range.get(1).asDouble(),
                "the median paired ratio lies within its range: " + r);
    }

    @Test
    void verifyReportsTimesAndRatiosForEveryBatchSize() throws Exception {
        JsonNode r = run("verify", "--model", Fixtures.targetGguf().toString(), "--iterations", "1");
        JsonNode ratio = r.get("t_ratio");
        for (int n : new int[] {1, 2, 4, 8, 16, 32, 64, 128}) {
            // t_ratio.1 pairs two single-token forwards: it is 1 up to this machine's timing noise.
            assertTrue(ratio.path(Integer.toString(n)).asDouble() > 0, "t_ratio." + n + " in " + r);
            assertTrue(r.get("t_seconds").path(Integer.toString(n)).asDouble() > 0, "t_seconds." + n + " in " + r);
        }
        assertTrue(r.get("prefix").asInt() > 0, "a verify batch follows a committed prefix");
    }

    @Test
    void unknownSyntheticShapeIsAUserError() {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("bench", "decode", "--synthetic", "gpt-9", "--stream-mb", "1");
        assertEquals(2, code);
        assertTrue(err.toString().contains("gpt-9"), err.toString());
    }

    private static JsonNode run(String... args) throws Exception {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of("bench"));
        all.addAll(List.of(args));
        all.addAll(List.of("--stream-mb", "8", "--threads", "2", "--json"));
        int code = cl.execute(all.toArray(String[]::new));
        assertEquals(0, code, out + " " + err);
        return new ObjectMapper().readTree(out.toString());
    }
}
