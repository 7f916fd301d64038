package dev.sequoia.engine.bench;

import dev.sequoia.engine.backend.offload.ModelExtents;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.SyntheticCache;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.offload.io.DiskProbe;
import dev.sequoia.offload.io.Extent;
import dev.sequoia.offload.plan.PlanOverrides;
import dev.sequoia.offload.telemetry.PassTelemetry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streaming benchmark: its ratios from given rates, and one real run whose counts must add up. */
class OffloadBenchTest {
    @TempDir
    static Path dir;

    /** A disk probed at 1 and then 2 GB/s and decoding that streams 1.5 GB in one second: 0.75 of the disk. */
    @Test
    void ratiosFollowFromTheMeasuredRates() {
        var probes = List.of(new DiskProbe.Measurement(1_000_000_000L, 1_000_000_000L, true),
                new DiskProbe.Measurement(4_000_000_000L, 2_000_000_000L, true));
        PassTelemetry ar = new PassTelemetry(10, 1_500_000_000L, 1_000_000_000L, 250_000_000L, 900_000_000L);
        Map<Integer, OffloadBench.SizeResult> sizes = new LinkedHashMap<>();
        sizes.put(1, new OffloadBench.SizeResult(1, 0.2, PassTelemetry.NONE));
        sizes.put(64, new OffloadBench.SizeResult(64, 0.5, PassTelemetry.NONE));
        var r = new OffloadBench.Result(null, probes, 1.0, sizes, 0.3, ar);
        assertEquals(2.0, r.disk().gbps(), 1e-12, "the faster probe is the ceiling");
        assertEquals(1.5, ar.achievedGbps(), 1e-12);
        assertEquals(0.75, r.achievedOverDisk(), 1e-12);
        assertEquals(0.25, ar.stallFraction(), 1e-12);
        assertEquals(1.0, r.tRatio(1), 0);
        assertEquals(2.5, r.tRatio(64), 1e-12);
    }

    /** Every layer streamed: each timed pass must carry exactly the layers' bytes, and the rates must agree with them. */
    @Test
    void aRealRunStreamsExactlyThePlannedBytes() {
        Path model = SyntheticCache.gguf(dir, "tiny-test", TensorType.Q8_0, 3);
        var cfg = new OffloadBench.Config(model, 1L << 40, new int[] {1, 4}, 3, 3, 2, 1 << 20, 64L << 20,
                PlanOverrides.resident(Set.of()));
        List<String> log = new ArrayList<>();
        OffloadBench.Result r;
        try (VectorMatMul kernels = new VectorMatMul(1)) {
            r = OffloadBench.run(cfg, kernels, log::add);
        }
        assertTrue(r.plan().resident().isEmpty() && r.plan().streams(), r.plan().describe());
        int layers = r.plan().layers();
        assertEquals(layers, r.plan().streamed().size());
        long payload = payloadBytesOfAllLayers(model);
        long perPass = r.ar().bytesStreamed() / 3;
        // reads are whole aligned blocks: at least the layers' payload, at most one block more per extent
        assertTrue(perPass >= payload && perPass <= payload + 2L * 4096 * 7 * layers, perPass + " bytes per pass for " + payload);
        assertEquals(3L * layers, r.ar().layersStreamed());
        assertEquals(3 * perPass, r.ar().bytesStreamed(), "every decoding pass streams the same bytes");
        for (var s : r.sizes().values()) {
            assertEquals(3L * layers, s.telemetry().layersStreamed(), "n=" + s.n());
            assertEquals(3 * perPass, s.telemetry().bytesStreamed(), "n=" + s.n());
        }
        assertEquals((double) r.ar().bytesStreamed() / r.ar().passNanos() / r.disk().gbps(), r.achievedOverDisk(), 1e-12);
        assertTrue(r.disk().gbps() > 0 && r.arSecondsPerToken() > 0 && r.tRatio(4) > 0, log.toString());
        assertEquals(2, r.diskProbes().size(), "a probe before and one after the timed passes");
    }

    private static long payloadBytesOfAllLayers(Path model) {
        try (Arena arena = Arena.ofConfined()) {
            long bytes = 0;
            for (List<Extent> layer : ModelExtents.of(ModelLoader.load(model, null, arena)).layers())
                for (Extent e : layer) bytes += e.length();
            return bytes;
        }
    }
}
