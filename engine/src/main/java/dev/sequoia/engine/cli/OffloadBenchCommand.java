package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sequoia.engine.backend.offload.OffloadSettings;
import dev.sequoia.engine.bench.OffloadBench;
import dev.sequoia.engine.kernel.Int8ActivationMatMul;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.offload.plan.Bytes;
import dev.sequoia.offload.telemetry.PassTelemetry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * {@code sequoia bench-offload}: streams a model larger than the memory budget from the disk and reports
 * disk_gbps, achieved_gbps, stall_fraction, t_ratio (t(n)/t(1) while streaming) and the autoregressive
 * seconds per token, as text or one JSON object.
 */
@Command(name = "bench-offload", mixinStandardHelpOptions = true,
        description = "Benchmark layer streaming: disk bandwidth, achieved bandwidth, stalls, t(n)/t(1), AR s/token.")
public final class OffloadBenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model file (GGUF or llama2.c)")
    Path model;

    @Option(names = "--sizes", split = ",", defaultValue = "1,2,4,8,16,32,64", description = "batch sizes n (default ${DEFAULT-VALUE})")
    int[] sizes;

    @Option(names = "--iterations", defaultValue = "3", description = "timed passes per size; the median is reported")
    int iterations;

    @Option(names = "--ar-tokens", defaultValue = "4", description = "tokens decoded for the autoregressive baseline")
    int arTokens;

    @Mixin
    ThreadsOption threads = ThreadsOption.forBenchmarks();

    /** --memory-budget (required here: the benchmark is of streaming), --resident-layers, --slots, --readers, --read-chunk. */
    @Mixin
    OffloadOptions offload = new OffloadOptions();

    @Option(names = "--probe-bytes", defaultValue = "64GiB", description = "most bytes of the sequential disk probe")
    String probeBytes;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Mixin
    Int8Option int8 = new Int8Option();

    @Override
    public Integer call() throws Exception {
        int[] ns = IntStream.concat(IntStream.of(1), IntStream.of(sizes)).filter(n -> n > 0).distinct().sorted().toArray();
        OffloadSettings settings = offload.settings();
        if (!settings.enabled()) throw new IllegalArgumentException("bench-offload needs --memory-budget SIZE (e.g. 2GiB): it measures streaming");
        var cfg = new OffloadBench.Config(model, settings.budgetBytes(), ns, Math.max(1, iterations), Math.max(1, arTokens),
                settings.readers(), settings.chunkBytes(), Bytes.parse(probeBytes), settings.overrides());
        OffloadBench.Result r;
        String activations;
        try (VectorMatMul kernels = new VectorMatMul(threads.count());
             Int8ActivationMatMul int8mm = int8.open(kernels)) {
            activations = int8mm == null ? "fp32" : Int8Option.describe(int8mm);
            r = OffloadBench.run(cfg, kernels, int8mm != null ? int8mm : kernels, json ? line -> {} : System.err::println);
        }
        Map<String, Object> out = report(r);
        out.put("activations", activations);
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
        } else {
            out.forEach((k, v) -> System.out.println(k + ": " + v));
        }
        return 0;
    }

    private Map<String, Object> report(OffloadBench.Result r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", model.toString());
        out.put("memory_budget_bytes", r.plan().budgetBytes());
        out.put("plan", Map.of("resident", r.plan().resident(), "streamed_layers", r.plan().streamed().size(),
                "slots", r.plan().slots(), "slot_bytes", r.plan().slotBytes(), "total_bytes", r.plan().totalBytes()));
        out.put("disk_direct_io", r.disk().direct());
        out.put("disk_gbps", round(r.disk().gbps()));
        out.put("disk_gbps_probes", r.diskProbes().stream().map(m -> round(m.gbps())).toList()); // before, after
        // Decoding (n = 1, back to back) is where the copy dominates: the regime the bandwidth targets are for.
        PassTelemetry ar = r.ar();
        out.put("achieved_gbps", round(ar.achievedGbps()));
        out.put("achieved_over_disk", round(r.achievedOverDisk()));
        out.put("loader_gbps", round(ar.loadNanos() == 0 ? 0 : (double) ar.bytesStreamed() / ar.loadNanos()));
        out.put("stall_fraction", round(ar.stallFraction()));
        out.put("overlap_fraction", round(ar.overlapFraction()));
        out.put("compute_ms_per_layer_n1", round(r.computeMsPerLayer()));
        Map<String, Object> t = new LinkedHashMap<>(), ratio = new LinkedHashMap<>(), gbps = new LinkedHashMap<>(),
                stalls = new LinkedHashMap<>();
        r.sizes().forEach((n, s) -> {
            t.put(String.valueOf(n), round(s.seconds()));
            ratio.put(String.valueOf(n), round(r.tRatio(n)));
            gbps.put(String.valueOf(n), round(s.telemetry().achievedGbps()));
            stalls.put(String.valueOf(n), round(s.telemetry().stallFraction()));
        });
        out.put("t_seconds", t);
        out.put("t_ratio", ratio);
        out.put("achieved_gbps_by_n", gbps);
        out.put("stall_fraction_by_n", stalls);
        out.put("ar_seconds_per_token", round(r.arSecondsPerToken()));
        return out;
    }

    private static double round(double v) { return Math.round(v * 1e4) / 1e4; }
}
