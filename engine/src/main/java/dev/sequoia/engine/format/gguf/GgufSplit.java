package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.MappedFiles;
import dev.sequoia.engine.format.ModelFormatException;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Split GGUF models as llama.cpp's gguf-split writes them: parts named {@code PREFIX-00001-of-00003.gguf},
 * each a complete GGUF file holding some of the tensors; the first part carries the model's metadata, and
 * every part {@code split.no} (0-based, UINT16), {@code split.count} (UINT16) and {@code split.tensors.count}
 * (INT32, the tensors of all parts together). A model is opened by its first part.
 */
public final class GgufSplit {
    public static final String NO = "split.no";
    public static final String COUNT = "split.count";
    public static final String TENSORS_COUNT = "split.tensors.count";
    /** llama.cpp's llama_split_path: PREFIX-%05d-of-%05d.gguf, numbered from 1. */
    private static final Pattern NAME = Pattern.compile("(.+)-(\\d{5})-of-(\\d{5})\\.gguf");

    private GgufSplit() {}

    /** True when the file is one part of several. */
    public static boolean isSplit(GgufFile f) {
        return f.metadata().has(COUNT) && f.metadata().intValue(COUNT) > 1;
    }

    /** The path of part {@code no} (0-based) of {@code count} beside {@code prefix}. */
    public static Path partPath(Path prefix, int no, int count) {
        return prefix.resolveSibling(String.format(Locale.ROOT, "%s-%05d-of-%05d.gguf",
                prefix.getFileName(), no + 1, count));
    }

    /**
     * Every part of the model whose first part is {@code first} (mapped and parsed from {@code path}), in order,
     * each mapped into {@code arena}: just {@code first} when the file is not split. Each part is checked to
     * belong to the same split (its number, the part count, the total tensor count) and tensor names are
     * unique across parts; any failure names the part's file and number.
     */
    public static List<GgufFile> openParts(Path path, GgufFile first, Arena arena) {
        if (!isSplit(first)) return List.of(first);
        int count = first.metadata().intValue(COUNT);
        int no = first.metadata().intValue(NO, -1);
        Matcher m = NAME.matcher(path.getFileName().toString());
        if (!m.matches()) {
            throw new ModelFormatException(path, COUNT + " = " + count + " but the name does not follow llama.cpp's "
                    + "PREFIX-00001-of-" + String.format(Locale.ROOT, "%05d", count) + ".gguf, so the other parts cannot be found");
        }
        Path prefix = path.resolveSibling(m.group(1));
        if (no != 0) {
            throw new ModelFormatException(path, "is part " + (no + 1) + " of " + count + " (" + NO + " = " + no
                    + "); open the first part, " + partPath(prefix, 0, count).getFileName());
        }
        if (Integer.parseInt(m.group(3)) != count) {
            throw new ModelFormatException(path, "the name says " + Integer.parseInt(m.group(3)) + " parts, "
                    + COUNT + " says " + count);
        }
        int total = tensorsCount(path, first, 0, count);
        List<GgufFile> parts = new ArrayList<>(List.of(first));
        for (int i = 1; i < count; i++) parts.add(openPart(partPath(prefix, i, count), i, count, total, arena));
        checkTensors(path, parts, total);
        return List.copyOf(parts);
    }

    private static GgufFile openPart(Path part, int no, int count, int total, Arena arena) {
        String which = "part " + (no + 1) + " of " + count;
        if (!Files.isRegularFile(part)) throw new ModelFormatException(part, which + " is missing");
        GgufFile f;
        try {
            f = GgufReader.read(part, MappedFiles.map(part, arena));
        } catch (ModelFormatException e) {
            throw new ModelFormatException(part, which + ": " + e.getMessage().substring(part.toString().length() + 2), e);
        }
        int partNo = f.metadata().has(NO) ? f.metadata().intValue(NO) : -1;
        int partCount = f.metadata().has(COUNT) ? f.metadata().intValue(COUNT) : -1;
        if (partNo != no || partCount != count) {
            throw new ModelFormatException(part, which + ": the file says " + NO + " = " + partNo + ", " + COUNT + " = "
                    + partCount + "; it is not this part of this split (a part of another model?)");
        }
        int partTotal = tensorsCount(part, f, no, count);
        if (partTotal != total) {
            throw new ModelFormatException(part, which + ": " + TENSORS_COUNT + " = " + partTotal + ", the first part says "
                    + total + "; it belongs to another model");
        }
        return f;
    }

    private static int tensorsCount(Path file, GgufFile f, int no, int count) {
        if (!f.metadata().has(TENSORS_COUNT)) {
            throw new ModelFormatException(file, "part " + (no + 1) + " of " + count + ": metadata key '"
                    + TENSORS_COUNT + "' is missing");
        }
        return f.metadata().intValue(TENSORS_COUNT);
    }

    /** Every tensor in exactly one part, as many as split.tensors.count says. */
    private static void checkTensors(Path first, List<GgufFile> parts, int total) {
        Map<String, Integer> partOf = new HashMap<>();
        int n = 0;
        for (int i = 0; i < parts.size(); i++) {
            for (String name : parts.get(i).tensors().keySet()) {
                Integer before = partOf.put(name, i);
                if (before != null) {
                    throw new ModelFormatException(parts.get(i).path(), "part " + (i + 1) + " of " + parts.size()
                            + ": tensor '" + name + "' is also in part " + (before + 1) + " (a part of another model?)");
                }
                n++;
            }
        }
        if (n != total) {
            throw new ModelFormatException(first, "the " + parts.size() + " parts hold " + n + " tensors, "
                    + TENSORS_COUNT + " says " + total + " (a part of another model?)");
        }
    }
}
