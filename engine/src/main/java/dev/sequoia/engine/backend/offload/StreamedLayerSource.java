package dev.sequoia.engine.backend.offload;

import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.tensor.WeightMatrix;
import dev.sequoia.offload.io.AlignedLayout;
import dev.sequoia.offload.plan.ResidencyPlan;
import dev.sequoia.offload.stream.LayerStreamer;
import dev.sequoia.offload.telemetry.PassTelemetry;
import dev.sequoia.offload.tier.DiskTier;
import dev.sequoia.offload.tier.HostAllocator;
import dev.sequoia.offload.tier.MemoryLedger;
import dev.sequoia.offload.tier.TrackedArena;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A {@link LayerSource} that follows a {@link ResidencyPlan} on the CPU tier: resident layers are read once
 * (direct I/O) into RAM it owns, streamed layers come through the {@link LayerStreamer}'s slots. Either
 * way the transformer gets the model's own {@link LayerWeights} with the projections re-pointed
 * ({@link WeightMatrix#withData}) at the copy, so the arithmetic is exactly that of the resident forward.
 *
 * <p>Threading: used by the forward thread only, as {@link LayerSource} prescribes. Ownership: owns the
 * disk tier, the streamer and the arena of resident copies; {@link #close()} frees all of them.
 */
public final class StreamedLayerSource implements LayerSource, AutoCloseable {
    private final LlamaWeights weights;
    private final DiskTier tier;
    private final ResidencyPlan plan;
    private final TrackedArena residentArena;
    private final LayerWeights[] resident;
    private final LayerStreamer streamer;
    private final MemoryLedger ledger;
    private PassTelemetry total = PassTelemetry.NONE;

    /** Reads the plan's resident layers now; streaming starts at the first pass. */
    public StreamedLayerSource(LlamaWeights weights, DiskTier tier, ResidencyPlan plan, MemoryLedger ledger) {
        if (plan.layers() != weights.layers().size() || tier.layers() != plan.layers()) {
            throw new IllegalArgumentException("plan has " + plan.layers() + " layers, the model " + weights.layers().size()
                    + " and the disk tier " + tier.layers());
        }
        this.weights = weights;
        this.tier = tier;
        this.plan = plan;
        this.ledger = ledger;
        this.resident = new LayerWeights[plan.layers()];
        this.residentArena = ledger.newArena("resident layers");
        try {
            for (int l : plan.resident()) {
                resident[l] = viewsOver(l, tier.loadResident(l, residentArena, HostAllocator.plain()));
            }
        } catch (RuntimeException e) {
            residentArena.close();
            throw e;
        }
        this.streamer = plan.streams()
                ? new LayerStreamer(tier, plan.streamed(), plan.slots(), plan.slotBytes(), HostAllocator.plain(), ledger)
                : null;
    }

    public ResidencyPlan plan() { return plan; }

    /** The ledger of every buffer this source (resident copies, slots) holds. */
    public MemoryLedger ledger() { return ledger; }

    @Override
    public void beginPass() {
        if (streamer != null) streamer.beginPass();
    }

    @Override
    public LayerWeights acquire(int layer) {
        if (resident[layer] != null) return resident[layer];
        return viewsOver(layer, streamer.acquire(layer));
    }

    @Override
    public void release(int layer) {
        if (resident[layer] == null) streamer.release(layer);
    }

    @Override
    public void endPass() {
        if (streamer != null) total = total.plus(streamer.endPass());
    }

    /** Streaming telemetry of the last forward pass (empty when nothing streams). */
    public PassTelemetry lastPass() {
        return streamer == null ? PassTelemetry.NONE : streamer.lastPass();
    }

    /** Streaming telemetry summed over every pass since this source was made (failed passes included). */
    public PassTelemetry totalTelemetry() { return total; }

    /** The model's layer with its projections read from {@code memory}, laid out as the tier placed them. */
    private LayerWeights viewsOver(int layer, MemorySegment memory) {
        LayerWeights w = weights.layers().get(layer);
        AlignedLayout layout = tier.layout(layer);
        List<WeightMatrix> p = ModelExtents.projections(w);
        WeightMatrix[] v = new WeightMatrix[7];
        for (int i = 0; i < 7; i++) {
            WeightMatrix m = p.get(i);
            v[i] = m.withData(memory.asSlice(layout.extentSlotOffsets()[i], m.byteSize()));
        }
        return w.withProjections(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    }

    @Override
    public void close() {
        try {
            if (streamer != null) streamer.close();
        } finally {
            residentArena.close();
            tier.close();
        }
    }
}
