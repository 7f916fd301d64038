package dev.sequoia.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The scalar twin of {@link SentencePieceTokenizer#encode}: llama2.c's {@code encode} transcribed literally
 * (byte-wise UTF-8 scan, byte + 3 fallback, full rescan for the best pair after every merge, strict '>'
 * so the leftmost pair wins ties). O(n²); tests only.
 */
final class NaiveLlama2cEncoder {
    private final String[] vocab;
    private final float[] scores;
    private final Map<String, Integer> lookup = new HashMap<>();

    NaiveLlama2cEncoder(String[] vocab, float[] scores) {
        this.vocab = vocab;
        this.scores = scores;
        for (int i = 0; i < vocab.length; i++) lookup.putIfAbsent(vocab[i], i);
    }

    int[] encode(String text, boolean bos, boolean eos) {
        List<Integer> tokens = new ArrayList<>();
        if (bos) tokens.add(1);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0) tokens.add(lookup.get(" "));
        // code points: a lead byte and its continuation bytes (10xxxxxx), at most 4
        for (int i = 0; i < bytes.length; ) {
            int start = i++;
            while (i < bytes.length && (bytes[i] & 0xC0) == 0x80 && i - start < 4) i++;
            Integer id = lookup.get(new String(bytes, start, i - start, StandardCharsets.UTF_8));
            if (id != null) {
                tokens.add(id);
            } else {
                for (int j = start; j < i; j++) tokens.add((bytes[j] & 0xFF) + 3);
            }
        }
        while (true) {
            float bestScore = -1e10f;
            int bestId = -1, bestIdx = -1;
            for (int i = 0; i < tokens.size() - 1; i++) {
                Integer id = lookup.get(vocab[tokens.get(i)] + vocab[tokens.get(i + 1)]);
                if (id != null && scores[id] > bestScore) {
                    bestScore = scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx == -1) break;
            tokens.set(bestIdx, bestId);
            tokens.remove(bestIdx + 1);
        }
        if (eos) tokens.add(2);
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }
}
