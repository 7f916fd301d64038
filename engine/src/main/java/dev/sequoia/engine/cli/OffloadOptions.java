package dev.sequoia.engine.cli;

import dev.sequoia.engine.backend.offload.OffloadSettings;
import dev.sequoia.offload.plan.Bytes;
import dev.sequoia.offload.plan.PlanOverrides;
import dev.sequoia.offload.telemetry.PassTelemetry;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * The options that put the target under a memory budget (shared by generate, serve, optimize and bench-offload),
 * and the JSON shape of streaming telemetry.
 */
public final class OffloadOptions {
    @Option(names = "--memory-budget", paramLabel = "SIZE",
            description = "Memory for the target's resident layers, slots, fixed parts and KV plus the draft, e.g. 2GiB;"
                    + " the rest of the target streams from disk (default: all resident; bench-offload requires it).")
    String budget;

    @Option(names = "--resident-layers", split = ",", paramLabel = "L", description = "Override the plan: keep exactly these target layers resident, e.g. 0,8,16.")
    int[] residentLayers;

    @Option(names = "--slots", paramLabel = "R", description = "Override the plan: R >= 2 rotating slots for streamed layers.")
    Integer slots;

    @Option(names = "--readers", defaultValue = "2", description = "Direct reads in flight while streaming (default: ${DEFAULT-VALUE}).")
    int readers;

    @Option(names = "--read-chunk", defaultValue = "4MiB", paramLabel = "SIZE", description = "Bytes per direct read (default: ${DEFAULT-VALUE}).")
    String chunk;

    /** The settings these options name; {@link OffloadSettings#NONE}'s budget when none is given. */
    public OffloadSettings settings() {
        PlanOverrides overrides = new PlanOverrides(
                residentLayers == null ? null : new TreeSet<>(IntStream.of(residentLayers).boxed().toList()), slots);
        return new OffloadSettings(budget == null ? 0 : Bytes.parse(budget), overrides, readers, Bytes.parse(chunk));
    }

    /** Streaming telemetry as reported in JSON: bytes, achieved GB/s, stall seconds and fractions. */
    public static Map<String, Object> json(PassTelemetry t) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("layers_streamed", t.layersStreamed());
        o.put("bytes_streamed", t.bytesStreamed());
        o.put("streamed_pass_s", t.passNanos() / 1e9);
        o.put("achieved_gbps", t.achievedGbps());
        o.put("stall_s", t.stallNanos() / 1e9);
        o.put("stall_fraction", t.stallFraction());
        o.put("overlap_fraction", t.overlapFraction());
        return o;
    }
}
