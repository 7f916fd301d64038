package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.SyntheticCache;
import dev.sequoia.engine.kernel.Int8ActivationMatMul;
import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.bench.StreamProbe;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.bench.ForwardBench;
import dev.sequoia.engine.bench.GemmBench;
import dev.sequoia.engine.bench.ModelShape;
import dev.sequoia.engine.bench.VerifyTiming;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.format.FileType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code sequoia bench decode|verify}: decode speed against this machine's streaming bandwidth, and the
 * verification time ratio t(n)/t(1). It times whole forward passes of a model file, or of a synthetic model
 * of a named shape and type (generated once into {@code ~/.cache/sequoia/synthetic/} and reused). With
 * {@code --gemm-only} it times just the forward pass's GEMMs over random weights in memory (attention and
 * norms excluded, reported as {@code "scope": "gemm"}), which needs no model file. Decode pairs each timed
 * step with a bandwidth probe pass just before it (in-process, same threads, 480 MB) and reports the median
 * of the per-step ratios as {@code roofline_fraction}: on a shared machine the bandwidth drifts too much for
 * two separate medians to make a fair ratio. {@code --int8} (opt-in) runs Q8_0, Q4_0 and K-quant matrices with int8-quantized
 * activations ({@link Int8ActivationMatMul}) and reports {@code "activations"}; the default is unchanged.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark decode (roofline fraction) or verify (t(n)/t(1)) on a model or a synthetic shape.")
public final class BenchCommand implements Callable<Integer> {
    private static final int[] BATCHES = {1, 2, 4, 8, 16, 32, 64, 128};

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", description = "decode or verify")
    Mode mode;

    @ArgGroup(multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--model", description = "model file or folder") Path model;
        @Option(names = "--synthetic", description = "shape name: tinyllama-1.1b, llama2-7b") String synthetic;
    }

    @Option(names = "--type", defaultValue = "Q8_0",
            description = "weight type of a synthetic shape: ${COMPLETION-CANDIDATES} (K-quant mixes as llama.cpp's; default ${DEFAULT-VALUE})")
    FileType type;

    @Mixin
    ThreadsOption threads = ThreadsOption.forBenchmarks();

    @Option(names = "--iterations", defaultValue = "5", description = "timed repetitions; medians are reported")
    int iterations;

    @Option(names = "--prefix", defaultValue = "512", description = "committed tokens before a verify batch")
    int prefix;

    @Option(names = "--budget-mb", defaultValue = "1536", description = "most memory for distinct synthetic layers")
    long budgetMb;

    @Option(names = "--stream-mb", defaultValue = "480", description = "bandwidth probe buffer, above the last-level cache")
    long streamMb;

    @Option(names = "--gemm-only", description = "with --synthetic: time only the GEMMs, over in-memory random weights")
    boolean gemmOnly;

    @Option(names = "--cache-dir", description = "where synthetic models are written (default ~/.cache/sequoia/synthetic)")
    Path cacheDir;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Mixin
    Int8Option int8 = new Int8Option();

    enum Mode { decode, verify }

    @Override
    public Integer call() throws Exception {
        if (streamMb < 1) throw new IllegalArgumentException("--stream-mb must be at least 1, got " + streamMb);
        if (iterations < 1) throw new IllegalArgumentException("--iterations must be at least 1, got " + iterations);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("mode", mode.name());
        report.put("threads", threads.count());
        try (VectorMatMul mm = new VectorMatMul(threads.count()); Arena arena = Arena.ofShared();
             StreamProbe probe = new StreamProbe(mm.pool(), streamMb << 20)) {
            String reason = mm.nativeUnavailableReason();
            report.put("kernels", reason == null ? "native-avx512 + vector-api" : "vector-api (" + reason + ")");
            Int8ActivationMatMul int8mm = int8.open(mm); // borrows mm's pool
            if (int8mm != null) report.put("activations", Int8Option.describe(int8mm));
            MatMul kernels = int8mm != null ? int8mm : mm;
            if (source.model != null) benchModel(ModelLoader.load(source.model, null, arena), mm, kernels, probe, report);
            else if (gemmOnly) benchSynthetic(ModelShape.named(source.synthetic), kernels, probe, report);
            else benchModel(ModelLoader.load(syntheticFile(), null, arena), mm, kernels, probe, report);
        }
        print(report);
        return 0;
    }

    /** The synthetic model file for --synthetic/--type, generated on first use (seed 1). */
    private Path syntheticFile() {
        Path dir = cacheDir != null ? cacheDir : SyntheticCache.defaultDir();
        spec.commandLine().getErr().println("sequoia bench: synthetic " + source.synthetic + " " + type
                + " from " + dir + " (generated once)");
        return SyntheticCache.gguf(dir, source.synthetic, type, 1);
    }

    private void benchModel(Model model, VectorMatMul mm, MatMul kernels, StreamProbe probe, Map<String, Object> report) {
        ForwardBench bench = kernels == mm ? new ForwardBench(model, mm) : new ForwardBench(model, kernels, mm.pool());
        report.put("model", model.source().toString());
        report.put("scope", "forward");
        report.put("weight_bytes_per_token", bench.weightBytesPerToken());
        if (mode == Mode.decode) {
            Paired p = new Paired(probe, iterations);
            putDecode(report, bench.weightBytesPerToken(), bench.decodeSteps(iterations, p), p.gbps);
        } else {
            int used = bench.prefixFor(prefix, BATCHES[BATCHES.length - 1]);
            report.put("prefix", used);
            putRatios(report, bench.verifySeconds(used, BATCHES, iterations));
            report.put("stream_gbps", probe.medianGbps(5));
        }
    }

    private void benchSynthetic(ModelShape shape, MatMul mm, StreamProbe probe, Map<String, Object> report) {
        try (GemmBench bench = new GemmBench(shape, type.base(), budgetMb << 20, 1234)) {
            report.put("synthetic", shape.name());
            report.put("type", type.name());
            report.put("scope", "gemm");
            report.put("distinct_layers", bench.distinctLayers());
            report.put("weight_bytes_per_token", bench.weightBytesPerToken());
            if (mode == Mode.decode) {
                Paired p = new Paired(probe, iterations);
                putDecode(report, bench.weightBytesPerToken(), bench.forwardSteps(mm, 1, iterations, p), p.gbps);
            } else {
                putRatios(report, bench.verifySeconds(mm, BATCHES, iterations));
                report.put("stream_gbps", probe.medianGbps(5));
            }
        }
    }

    /** One probe pass before each timed step: the bandwidth of this shared machine drifts between seconds. */
    private static final class Paired implements Runnable {
        final StreamProbe probe;
        final double[] gbps;
        int next;

        Paired(StreamProbe probe, int steps) {
            this.probe = probe;
            this.gbps = new double[steps];
        }

        @Override
        public void run() {
            gbps[next++] = probe.passGbps();
        }
    }

    /**
     * Decode figures: medians of the step times and of the probe passes, and roofline_fraction as the
     * median over steps of (bytes / step time) / (the probe pass just before that step).
     */
    private static void putDecode(Map<String, Object> report, long bytes, double[] seconds, double[] streamGbps) {
        double[] fraction = new double[seconds.length];
        for (int i = 0; i < seconds.length; i++) fraction[i] = bytes / seconds[i] / 1e9 / streamGbps[i];
        double median = ForwardBench.median(seconds);
        report.put("seconds_per_token", median);
        report.put("decode_tokens_per_s", 1 / median);
        report.put("achieved_gbps", bytes / median / 1e9);
        report.put("stream_gbps", ForwardBench.median(streamGbps));
        report.put("roofline_fraction", ForwardBench.median(fraction));
        double[] sorted = fraction.clone();
        java.util.Arrays.sort(sorted);
        report.put("roofline_fraction_min_max", new double[] {sorted[0], sorted[sorted.length - 1]});
    }

    /**
     * t_seconds: median t(n); t_ratio: median over back-to-back pairs of t(n)/t(1) (so t_ratio.1, two
     * single-token forwards, shows the timing noise).
     */
    private static void putRatios(Map<String, Object> report, Map<Integer, VerifyTiming> timings) {
        Map<String, Double> ratio = new LinkedHashMap<>();
        Map<String, Double> t = new LinkedHashMap<>();
        timings.forEach((n, v) -> {
            t.put(n.toString(), v.seconds());
            ratio.put(n.toString(), v.ratio());
        });
        report.put("t_seconds", t);
        report.put("t_ratio", ratio);
    }

    private void print(Map<String, Object> report) throws Exception {
        if (json) {
            spec.commandLine().getOut().println(new ObjectMapper().writeValueAsString(report));
        } else {
            spec.commandLine().getOut().println(
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        }
    }
}
