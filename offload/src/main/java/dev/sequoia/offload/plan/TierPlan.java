package dev.sequoia.offload.plan;

import dev.sequoia.offload.device.StreamPlan;
import dev.sequoia.offload.tier.Placement;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One plan format for every run: where each layer lives ({@link Placement#COMPUTE}: resident where the kernels
 * read; {@link Placement#PINNED_HOST}: a pinned host image copied to a compute slot every pass;
 * {@link Placement#FILE}: read from the model file every pass, with direct I/O, through host staging buffers on
 * a device or straight into compute slots on the CPU), the R compute slots, the staging buffers, what each tier
 * holds, and the pass time the measured rates predict. The CPU backend's {@link ResidencyPlan} and the GPU's
 * {@link StreamPlan} are views of it ({@link #residencyPlan()}, {@link #streamPlan()}).
 *
 * @param inputs         what the plan was made from
 * @param placement      per layer, where its bytes live
 * @param slots          R rotating compute slots (0 when every layer is resident)
 * @param slotBytes      bytes of one compute slot (the largest streamed layer)
 * @param stagingBuffers host staging buffers for layers read from disk on a device (0 when none)
 * @param stagingBytes   bytes of one staging buffer (the largest layer read from disk, rounded up to 4 KiB)
 * @param reason         why: the measured rates and each choice
 */
public record TierPlan(TierInputs inputs, Placement[] placement, int slots, long slotBytes, int stagingBuffers,
                       long stagingBytes, String reason) {
    public TierPlan {
        placement = placement.clone();
        if (placement.length != inputs.layers()) {
            throw new IllegalArgumentException("plan: " + placement.length + " placements for " + inputs.layers() + " layers");
        }
        for (int l = 0; l < placement.length; l++) {
            Placement p = placement[l];
            boolean allowed = p == Placement.COMPUTE || p == Placement.FILE || (p == Placement.PINNED_HOST && inputs.deviceCompute());
            if (!allowed) throw new IllegalArgumentException("layer " + l + " cannot be placed in " + p);
        }
    }

    /** The predicted cost of one pass, each stage pipelined with the others: the slowest stage sets the pace. */
    public record Prediction(double computeSeconds, double linkSeconds, double diskSeconds) {
        /** The pass time; NaN when a stage that carries bytes is unmeasured. */
        public double passSeconds() { return Math.max(computeSeconds, Math.max(linkSeconds, diskSeconds)); }

        /** The share of the pass the compute waits for data: 1 - compute / pass. */
        public double stallFraction() { return passSeconds() > 0 ? 1 - computeSeconds / passSeconds() : 0; }

        /** "compute", "link" or "disk": the stage that sets the pace. */
        public String bottleneck() {
            double p = passSeconds();
            return p == diskSeconds && diskSeconds > 0 ? "disk" : p == linkSeconds && linkSeconds > 0 ? "link" : "compute";
        }
    }

    public int layers() { return placement.length; }

    public Placement placement(int layer) { return placement[layer]; }

    /** Layers held where compute runs. */
    public SortedSet<Integer> resident() { return layersIn(Placement.COMPUTE); }

    /** Layers that go through a compute slot every pass, in pass order (pinned and from the file). */
    public List<Integer> streamed() {
        List<Integer> s = new ArrayList<>();
        for (int l = 0; l < placement.length; l++) if (placement[l] != Placement.COMPUTE) s.add(l);
        return s;
    }

    public SortedSet<Integer> layersIn(Placement where) {
        SortedSet<Integer> s = new TreeSet<>();
        for (int l = 0; l < placement.length; l++) if (placement[l] == where) s.add(l);
        return s;
    }

    public long bytesIn(Placement where) {
        return layersIn(where).stream().mapToLong(inputs::layerBytes).sum();
    }

    /** Compute memory the plan holds: fixed parts, resident layers and R slots. */
    public long computeBytes() {
        return inputs.compute().fixedBytes() + bytesIn(Placement.COMPUTE) + slots * slotBytes;
    }

    /** Host memory the plan holds on a device: fixed parts, pinned images and staging buffers (0 on the CPU). */
    public long hostBytes() {
        if (!inputs.deviceCompute()) return 0;
        return inputs.host().fixedBytes() + bytesIn(Placement.PINNED_HOST) + stagingBuffers * stagingBytes;
    }

    /** Bytes over the link per pass (every streamed layer, on a device). */
    public long linkBytesPerPass() {
        return inputs.deviceCompute() ? bytesIn(Placement.PINNED_HOST) + bytesIn(Placement.FILE) : 0;
    }

    /** Bytes read from the file per pass. */
    public long diskBytesPerPass() { return bytesIn(Placement.FILE); }

    public Prediction predict() {
        TierInputs.Rates r = inputs.rates();
        double compute = layers() * r.computeNanosPerLayer() / 1e9;
        double link = linkBytesPerPass() == 0 ? 0 : linkBytesPerPass() / r.linkBytesPerSecond();
        double disk = diskBytesPerPass() == 0 ? 0 : diskBytesPerPass() / r.diskBytesPerSecond();
        return new Prediction(compute, link, disk);
    }

    /** The CPU backend's view (compute memory is host RAM; streamed layers come from the file). */
    public ResidencyPlan residencyPlan() {
        if (inputs.deviceCompute()) throw new IllegalStateException("a device plan has no CPU residency view");
        return new ResidencyPlan(layers(), resident(), streamed(), slots, slotBytes, Math.max(0, slots - 1),
                inputs.compute().budgetBytes(), inputs.compute().fixedBytes(), bytesIn(Placement.COMPUTE), reason);
    }

    /** The GPU's device-memory view: resident layers and R device slots (the host side is this plan's). */
    public StreamPlan streamPlan() {
        boolean[] resident = new boolean[layers()];
        for (int l = 0; l < resident.length; l++) resident[l] = placement[l] == Placement.COMPUTE;
        return new StreamPlan(inputs.layerBytes(), resident, slots, slotBytes);
    }

    /** A device plan with every streamed layer pinned, from a {@link StreamPlan} (for one format in reports). */
    public static TierPlan of(StreamPlan p, TierInputs.Rates rates, long deviceBudget, long hostBudget) {
        Placement[] placement = new Placement[p.layers()];
        for (int l = 0; l < placement.length; l++) placement[l] = p.resident()[l] ? Placement.COMPUTE : Placement.PINNED_HOST;
        TierInputs in = new TierInputs(p.layerBytes(), new TierInputs.Memory(deviceBudget, 0),
                new TierInputs.Memory(hostBudget, 0), rates);
        return new TierPlan(in, placement, p.slots(), p.slotBytes(), 0, 0, "given device plan");
    }

    /** A short table of the plan, the same for every backend. */
    public String describe() {
        Prediction p = predict();
        String where = inputs.deviceCompute() ? "device" : "RAM";
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "tier plan: %d layers: %d in %s, %d pinned, %d from disk%n", layers(), resident().size(), where,
                layersIn(Placement.PINNED_HOST).size(), layersIn(Placement.FILE).size()));
        b.append(String.format(Locale.ROOT, "  compute     %s of %s (fixed %s, resident %s, R=%d x %s)%n",
                Bytes.format(computeBytes()), Bytes.format(inputs.compute().budgetBytes()),
                Bytes.format(inputs.compute().fixedBytes()), Bytes.format(bytesIn(Placement.COMPUTE)), slots,
                Bytes.format(slotBytes)));
        if (inputs.deviceCompute()) {
            b.append(String.format(Locale.ROOT, "  host        %s of %s (fixed %s, pinned %s, staging %d x %s)%n",
                    Bytes.format(hostBytes()), Bytes.format(inputs.host().budgetBytes()),
                    Bytes.format(inputs.host().fixedBytes()), Bytes.format(bytesIn(Placement.PINNED_HOST)),
                    stagingBuffers, Bytes.format(stagingBytes)));
        }
        b.append(String.format(Locale.ROOT, "  per pass    link %s, disk %s%n", Bytes.format(linkBytesPerPass()),
                Bytes.format(diskBytesPerPass())));
        b.append(String.format(Locale.ROOT, "  predicted   %s s/pass (compute %s, link %s, disk %s; %s-bound, stall %.0f%%)%n",
                seconds(p.passSeconds()), seconds(p.computeSeconds()), seconds(p.linkSeconds()),
                seconds(p.diskSeconds()), p.bottleneck(), 100 * p.stallFraction()));
        b.append("  why         ").append(reason);
        return b.toString();
    }

    private static String seconds(double s) {
        return Double.isNaN(s) ? "unmeasured" : String.format(Locale.ROOT, "%.4f", s);
    }

    @Override
    public String toString() { return describe(); }
}
