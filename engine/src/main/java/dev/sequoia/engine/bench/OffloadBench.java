package dev.sequoia.engine.bench;

import dev.sequoia.engine.backend.offload.ModelExtents;
import dev.sequoia.engine.backend.offload.StreamedLayerSource;
import dev.sequoia.engine.backend.offload.TargetOffload;

import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.kernel.VectorTreeAttention;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.model.Model;
import dev.sequoia.offload.io.DiskProbe;
import dev.sequoia.offload.io.ParallelReader;
import dev.sequoia.offload.plan.PlanInputs;
import dev.sequoia.offload.plan.PlanOverrides;
import dev.sequoia.offload.plan.ResidencyPlan;
import dev.sequoia.offload.plan.ResidencyPlanner;
import dev.sequoia.offload.telemetry.PassTelemetry;
import dev.sequoia.offload.tier.DiskTier;
import dev.sequoia.offload.tier.MemoryLedger;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The streaming benchmark: on one model file and memory budget, measures the disk's sequential direct-I/O
 * bandwidth, plans residency from it and a measured compute time per layer, then times streamed forward
 * passes of n tokens (t(n), achieved GB/s, stalls) and autoregressive decoding. Owns everything it opens
 * for the duration of {@link #run}.
 */
public final class OffloadBench {
    /** What to measure. {@code probeBytes} bounds the sequential disk read (the whole file when larger). */
    public record Config(Path model, long budgetBytes, int[] sizes, int iterations, int arTokens, int readers,
                         long chunkBytes, long probeBytes, PlanOverrides overrides) {}

    /** One batch size's timing: the median pass, and the streaming telemetry summed over the timed passes. */
    public record SizeResult(int n, double seconds, PassTelemetry telemetry) {}

    /** {@code diskProbes}: one before the timed passes, one after. */
    public record Result(ResidencyPlan plan, List<DiskProbe.Measurement> diskProbes, double computeMsPerLayer,
                         Map<Integer, SizeResult> sizes, double arSecondsPerToken, PassTelemetry ar) {
        public double tRatio(int n) { return sizes.get(n).seconds() / sizes.get(sizes.keySet().iterator().next()).seconds(); }

        /** The disk's ceiling: the faster probe (this shared VM's disk drifts within a run). */
        public DiskProbe.Measurement disk() {
            return diskProbes.stream().max(java.util.Comparator.comparingDouble(DiskProbe.Measurement::gbps)).orElseThrow();
        }

        /** Decoding's streaming rate over the disk's ceiling: how much of the disk the copy uses where it dominates. */
        public double achievedOverDisk() { return ar.achievedGbps() / disk().gbps(); }
    }

    private static final int PREFIX = 16;

    private OffloadBench() {}

    public static Result run(Config cfg, VectorMatMul kernels, Consumer<String> log) {
        return run(cfg, kernels, kernels, log);
    }

    /** As {@link #run(Config, VectorMatMul, Consumer)} with the projections on {@code gemm} (e.g. the int8 path). */
    public static Result run(Config cfg, VectorMatMul kernels, MatMul gemm, Consumer<String> log) {
        try (Arena arena = Arena.ofShared()) {
            Model model = ModelLoader.load(cfg.model(), null, arena);
            ModelExtents extents = ModelExtents.of(model);
            MemoryLedger ledger = new MemoryLedger();
            LlamaConfig c = model.config();
            LlamaTransformer transformer = new LlamaTransformer(c, model.weights(), gemm,
                    new VectorTreeAttention(c.heads(), c.kvHeads(), c.headDim(), kernels.pool()));
            int capacity = PREFIX + Math.max(Arrays.stream(cfg.sizes()).max().orElse(1), cfg.arTokens()) + 1;
            long fixed = TargetOffload.fixedBytes(model, capacity);
            DiskTier probeTier = DiskTier.open(extents.files(), extents.layers(), cfg.readers(), cfg.chunkBytes());
            DiskProbe.Measurement disk = probeDisk(probeTier, cfg, log);
            long[] layerBytes = probeTier.slotBytesPerLayer();
            // First plan without a compute time; one warm-up pass measures it, then plan again.
            ResidencyPlan plan = ResidencyPlanner.plan(new PlanInputs(cfg.budgetBytes(), fixed, layerBytes, disk.gbps() * 1e9, 0), cfg.overrides());
            double computeNs;
            try (StreamedLayerSource src = new StreamedLayerSource(model.weights(), probeTier, plan, ledger)) {
                PassTelemetry warm = time(transformer, src, 1, capacity).telemetry();
                computeNs = Math.max(0, warm.passNanos() - warm.stallNanos()) / (double) model.config().layers();
            }
            plan = ResidencyPlanner.plan(new PlanInputs(cfg.budgetBytes(), fixed, layerBytes, disk.gbps() * 1e9, computeNs), cfg.overrides());
            log.accept(plan.describe());
            DiskTier tier = DiskTier.open(extents.files(), extents.layers(), cfg.readers(), cfg.chunkBytes());
            try (StreamedLayerSource src = new StreamedLayerSource(model.weights(), tier, plan, ledger)) {
                Map<Integer, SizeResult> sizes = new LinkedHashMap<>();
                for (int n : cfg.sizes()) {
                    SizeResult r = timeMedian(transformer, src, n, capacity, cfg.iterations());
                    sizes.put(n, r);
                    log.accept(String.format("n=%d: %.3f s  %s", n, r.seconds(), r.telemetry()));
                }
                PassTelemetry[] arTelemetry = {PassTelemetry.NONE};
                double ar = autoregressive(transformer, src, capacity, cfg.arTokens(), arTelemetry);
                log.accept(String.format("autoregressive: %.3f s/token  %s", ar, arTelemetry[0]));
                // the disk's speed drifts on a shared machine: probe again after the passes, keep the faster
                DiskProbe.Measurement after;
                try (DiskTier again = DiskTier.open(extents.files(), extents.layers(), cfg.readers(), cfg.chunkBytes())) {
                    after = probeDisk(again, cfg, log); // the first probe's tier went to the warm-up pass, which closed it
                }
                return new Result(plan, List.of(disk, after), computeNs / 1e6,
                        sizes, ar, arTelemetry[0]);
            }
        }
    }

    /** Sequential reads of the model file through the streamer's reader settings (layer-sized blocks). */
    private static DiskProbe.Measurement probeDisk(DiskTier tier, Config cfg, Consumer<String> log) {
        try (ParallelReader probe = new ParallelReader(tier.file(), cfg.readers(), cfg.chunkBytes())) {
            log.accept("measuring sequential " + (tier.file().isDirect() ? "direct" : "buffered") + " reads of " + tier.file().path());
            if (!tier.file().isDirect()) log.accept("warning: " + tier.file().fallbackReason());
            DiskProbe.Measurement m = DiskProbe.sequential(probe, cfg.probeBytes(), 256L << 20);
            log.accept(String.format("disk: %.2f GB/s", m.gbps()));
            return m;
        }
    }

    private static SizeResult timeMedian(LlamaTransformer t, StreamedLayerSource src, int n, int capacity, int iterations) {
        double[] seconds = new double[iterations];
        PassTelemetry sum = PassTelemetry.NONE;
        for (int i = 0; i < iterations; i++) {
            SizeResult r = time(t, src, n, capacity);
            seconds[i] = r.seconds();
            sum = sum.plus(r.telemetry());
        }
        Arrays.sort(seconds);
        return new SizeResult(n, seconds[iterations / 2], sum);
    }

    /** One forward of a chain of n tokens after a committed prefix. */
    private static SizeResult time(LlamaTransformer t, StreamedLayerSource src, int n, int capacity) {
        KvCache cache = t.newCache(capacity);
        int vocab = t.config().vocabSize();
        t.forward(cache, tokens(PREFIX, vocab, 0), chain(PREFIX), src);
        cache.keep(path(PREFIX));
        long start = System.nanoTime();
        t.forward(cache, tokens(n, vocab, PREFIX), chain(n), src);
        return new SizeResult(n, (System.nanoTime() - start) / 1e9, src.lastPass());
    }

    /** Seconds per token of greedy single-token decoding; the passes' telemetry is summed into {@code sum[0]}. */
    private static double autoregressive(LlamaTransformer t, StreamedLayerSource src, int capacity, int tokens,
                                         PassTelemetry[] sum) {
        KvCache cache = t.newCache(capacity);
        int token = 1;
        t.forward(cache, new int[] {token}, new int[] {-1}, src);
        cache.keep(new int[] {0});
        long start = System.nanoTime();
        for (int i = 0; i < tokens; i++) {
            float[][] logits = t.forward(cache, new int[] {token}, new int[] {-1}, src);
            cache.keep(new int[] {0});
            sum[0] = sum[0].plus(src.lastPass());
            token = argmax(logits[0]);
        }
        return (System.nanoTime() - start) / 1e9 / tokens;
    }

    private static int[] tokens(int n, int vocab, int salt) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = 3 + (int) ((31L * (i + salt) + 7) % (vocab - 3));
        return out;
    }

    private static int[] chain(int n) {
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) parents[i] = i - 1;
        return parents;
    }

    private static int[] path(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
