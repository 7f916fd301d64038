package dev.sequoia.engine.format.synthetic;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A small SentencePiece-style vocabulary of any size (at least {@link #MIN_SIZE}), so a synthetic model is
 * self-contained: {@code <unk>}, {@code <s>}, {@code </s>}, the 256 byte-fallback pieces, single characters
 * (space written "▁"), then pieces made by merging two earlier ones. Scores are minus the id, so earlier
 * merges win, and {@link #merges} lists each merged piece's "left right" rule in the same order.
 *
 * @param pieces     by id
 * @param scores     minus the id
 * @param tokenTypes GGUF token_type codes (2 unknown, 3 control, 6 byte, 1 normal)
 * @param merges     the "left right" rule of every merged piece, in id order
 */
public record SyntheticVocabulary(String[] pieces, float[] scores, int[] tokenTypes, List<String> merges) {
    public static final int UNK = 0, BOS = 1, EOS = 2;
    private static final String SINGLES =
            "\u2581etaoinshrdlucmfwypvbgkjqxzETAOINSHRDLUCMFWYPVBGKJQXZ0123456789.,!?'\"-:;()";
    public static final int MIN_SIZE = 3 + 256 + 32;

    public static SyntheticVocabulary generate(int size) {
        if (size < MIN_SIZE) {
            throw new IllegalArgumentException("synthetic vocabulary needs at least " + MIN_SIZE + " tokens, got " + size);
        }
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(2, 3, 3));
        for (int b = 0; b < 256; b++) {
            pieces.add("<0x%02X>".formatted(b));
            types.add(6);
        }
        List<String> singles = new ArrayList<>();
        for (int i = 0; i < SINGLES.length() && pieces.size() < size; i++) {
            singles.add(String.valueOf(SINGLES.charAt(i)));
            pieces.add(singles.getLast());
            types.add(1);
        }
        List<String> merges = new ArrayList<>();
        Set<String> seen = new HashSet<>(pieces);
        List<String> words = new ArrayList<>(singles);
        SplittableRandom rnd = new SplittableRandom(size);
        while (pieces.size() < size) {
            // early pieces favour the frequent letters; later ones extend earlier merges into longer words
            String left = words.get(rnd.nextInt(Math.min(words.size(), 8 + pieces.size() / 4)));
            String right = singles.get(1 + rnd.nextInt(Math.min(singles.size() - 1, 10 + pieces.size() / 64)));
            String piece = left + right;
            if (!seen.add(piece)) continue;
            pieces.add(piece);
            types.add(1);
            words.add(piece);
            merges.add(left + " " + right);
        }
        float[] scores = new float[size];
        for (int i = 0; i < size; i++) scores[i] = -i;
        return new SyntheticVocabulary(pieces.toArray(String[]::new), scores,
                types.stream().mapToInt(Integer::intValue).toArray(), List.copyOf(merges));
    }
}
