package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.MappedFiles;
import dev.sequoia.engine.tensor.TensorType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a GGUF model into parts as llama.cpp's {@code gguf-split --split} does: tensors in file order, cut
 * into {@code parts} runs of about equal bytes; the first part keeps all metadata, every part gets
 * {@code split.no}, {@code split.count} and {@code split.tensors.count}; names {@code PREFIX-0000i-of-0000n.gguf}.
 * Metadata entries and tensor bytes are copied verbatim.
 */
public final class GgufSplitWriter {
    private GgufSplitWriter() {}

    /** Writes the parts of {@code source} beside {@code prefix}; returns their paths, first part first. */
    public static List<Path> split(Path source, Path prefix, int parts) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            GgufFile f = GgufReader.read(source, MappedFiles.map(source, arena));
            if (GgufSplit.isSplit(f)) throw new IllegalArgumentException(source + " is already one part of a split model");
            List<GgufAssembler.RawTensor> tensors = rawTensors(f);
            if (parts < 1 || parts > tensors.size() || parts > 65535) {
                throw new IllegalArgumentException("--parts must be 1.." + Math.min(tensors.size(), 65535)
                        + " (one tensor per part at least), got " + parts);
            }
            List<List<GgufAssembler.RawTensor>> runs = runs(tensors, parts);
            List<Path> out = new ArrayList<>();
            for (int i = 0; i < parts; i++) {
                Path part = GgufSplit.partPath(prefix, i, parts);
                GgufAssembler.write(part, entries(f, i, parts, tensors.size()), runs.get(i), (int) f.alignment());
                out.add(part);
            }
            return out;
        }
    }

    private static List<GgufAssembler.RawTensor> rawTensors(GgufFile f) {
        List<GgufAssembler.RawTensor> out = new ArrayList<>();
        for (GgufTensorInfo t : f.tensors().values()) {
            long elements = 1;
            for (long d : t.ne()) elements *= d;
            out.add(GgufAssembler.RawTensor.of(f, t, TensorType.fromGgmlId(t.ggmlType()).byteSize(elements)));
        }
        return out;
    }

    /** Consecutive runs of about total/parts bytes each, every run non-empty. */
    static List<List<GgufAssembler.RawTensor>> runs(List<GgufAssembler.RawTensor> tensors, int parts) {
        long total = tensors.stream().mapToLong(t -> t.data().byteSize()).sum();
        List<List<GgufAssembler.RawTensor>> runs = new ArrayList<>();
        List<GgufAssembler.RawTensor> run = new ArrayList<>();
        long done = 0;
        for (int i = 0; i < tensors.size(); i++) {
            run.add(tensors.get(i));
            done += tensors.get(i).data().byteSize();
            int left = tensors.size() - i - 1, runsLeft = parts - runs.size() - 1;
            boolean full = done >= total * (runs.size() + 1) / parts;
            if (runsLeft > 0 && (full || left == runsLeft)) {
                runs.add(run);
                run = new ArrayList<>();
            }
        }
        runs.add(run);
        return runs;
    }

    /** Part 0: the source's metadata (its own split keys and alignment dropped); every part: the split keys. */
    private static List<byte[]> entries(GgufFile f, int no, int parts, int tensors) {
        List<byte[]> out = new ArrayList<>();
        if (no == 0) {
            for (String key : f.metadata().keys()) {
                if (key.startsWith("split.") || key.equals("general.alignment")) continue;
                out.add(f.metadata().encoded(key).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
        }
        out.add(GgufWriter.encodeEntry(GgufSplit.NO, new GgufWriter.Typed(GgufValueType.UINT16, no)));
        out.add(GgufWriter.encodeEntry(GgufSplit.COUNT, new GgufWriter.Typed(GgufValueType.UINT16, parts)));
        out.add(GgufWriter.encodeEntry(GgufSplit.TENSORS_COUNT, new GgufWriter.Typed(GgufValueType.INT32, tensors)));
        return out;
    }
}
