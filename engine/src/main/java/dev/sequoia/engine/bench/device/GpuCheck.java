package dev.sequoia.engine.bench.device;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.cuda.Cuda;
import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.Fatbin;
import dev.sequoia.cuda.SequoiaKernels;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The measurements of experiments/device/gpu-check.sh, as one JVM run writing one JSON report: device and
 * driver, pinned vs pageable host-to-device bandwidth, CUDA-vs-CPU logits (golden model, synthetic model),
 * one pass for several sessions against each alone and its throughput ({@link SharedPassCheck}), and streamed benchmarks of 70B-shaped synthetic models, one larger than the GPU's free memory and one on a
 * 48 GiB budget beside a 7B draft (achieved PCIe GB/s vs the pinned peak, event-timed stalls, t(n) up to
 * 2048, AR seconds/token, the optimizer's predicted speedup).
 *
 * <p>Measurement code, not needed at run time: one class per section ({@link CopyBandwidth}, {@link GoldenLogits},
 * {@link AttentionKernels}, {@link SharedPassCheck}, {@link StreamBench}), over the CUDA backend's public API.
 *
 * <p>Usage: {@code GpuCheck <report.json> <shared models dir> [stream seconds budget]}.
 */
public final class GpuCheck {
    private GpuCheck() {}

    public static void main(String[] args) throws Exception {
        Path report = Path.of(args[0]);
        Path models = Path.of(args[1]);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode out = json.createObjectNode();
        out.put("cuda_available", Cuda.isAvailable());
        out.put("cuda_reason", Cuda.unavailableReason());
        try (CudaContext ctx = CudaContext.open(0)) {
            info(ctx, out);
            // the report is rewritten after every section: a run cut off by its time limit keeps what it measured
            // bandwidth always runs: the stream bench compares against its pinned peak
            section(out, "bandwidth", () -> CopyBandwidth.measure(ctx, out.putObject("bandwidth")));
            json.writeValue(report.toFile(), out);
            if (selected("golden_logits")) section(out, "golden_logits", () -> GoldenLogits.compare(ctx, models, out.putObject("golden_logits")));
            json.writeValue(report.toFile(), out);
            if (selected("attention_kernels")) section(out, "attention_kernels", () -> AttentionKernels.measure(ctx, out.putObject("attention_kernels")));
            json.writeValue(report.toFile(), out);
            if (selected("shared_pass")) section(out, "shared_pass", () -> SharedPassCheck.run(ctx, models, out.putObject("shared_pass")));
            json.writeValue(report.toFile(), out);
            if (selected("stream_bench")) section(out, "stream_bench", () -> StreamBench.run(ctx, out, models, out.putObject("stream_bench")));
        } finally {
            ArrayNode failed = out.putArray("failures");
            FAILURES.forEach(failed::add);
            json.writeValue(report.toFile(), out);
            System.out.println(json.writeValueAsString(out));
        }
        // the exit status is the verdict gpu-check.sh passes on: a thrown section or a failed comparison is a failure
        if (!FAILURES.isEmpty()) {
            FAILURES.forEach(f -> System.err.println("GpuCheck FAILED: " + f));
            System.exit(1);
        }
    }

    /** What went wrong in this run: every thrown section and every failed comparison, in order. */
    private static final List<String> FAILURES = java.util.Collections.synchronizedList(new ArrayList<>());

    static void fail(String what) {
        FAILURES.add(what);
    }

    interface Section { void run() throws Exception; }

    /** GPU_CHECK_SECTIONS (comma-separated top-level section names) limits a rerun to some sections. */
    private static boolean selected(String name) {
        String only = System.getenv("GPU_CHECK_SECTIONS");
        return only == null || only.isBlank() || java.util.Arrays.asList(only.split(",")).contains(name);
    }

    static void section(ObjectNode out, String name, Section s) {
        long t0 = System.nanoTime();
        try {
            s.run();
        } catch (Throwable e) {
            out.put(name + "_error", e.toString());
            fail(name + " threw " + e);
            e.printStackTrace();
        }
        out.put(name + "_seconds", (System.nanoTime() - t0) / 1e9);
    }

    private static void info(CudaContext ctx, ObjectNode out) {
        out.put("driver_version", Cuda.driverVersion());
        out.put("device", ctx.deviceName());
        out.put("compute_capability", ctx.computeCapability());
        CudaContext.MemoryInfo m = ctx.memoryInfo();
        out.put("free_bytes", m.freeBytes());
        out.put("total_bytes", m.totalBytes());
        out.put("fatbin", Fatbin.entries(SequoiaKernels.fatbin()).toString());
    }
}
