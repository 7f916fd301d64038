package dev.sequoia.engine.format.synthetic;

import dev.sequoia.engine.model.LlamaConfig;

import java.util.Arrays;

/**
 * Where a small model's attention heads live in a larger shape. Each small query head gets a large query
 * head of its own, inside a large kv group whose kv head is a copy of the small head's kv head: small kv head
 * k fills large groups in order, {@code min(largeGroup, remaining)} of its query heads per group, so when the
 * large groups are narrower than the small ones (llama2-7b has one query head per kv head) the small kv head
 * is copied into several large kv heads. Every other large head is an extra head.
 */
record HeadMap(int[] smallQueryOf, int[] smallKvOf) {

    /** Maps {@code small}'s heads into {@code large}'s, or fails naming the head counts that do not fit. */
    static HeadMap of(LlamaConfig small, LlamaConfig large) {
        int[] query = new int[large.heads()], kv = new int[large.kvHeads()];
        Arrays.fill(query, -1);
        Arrays.fill(kv, -1);
        int smallGroup = small.kvGroup(), largeGroup = large.kvGroup();
        int groupsNeeded = small.kvHeads() * ((smallGroup + largeGroup - 1) / largeGroup);
        if (small.heads() > large.heads() || groupsNeeded > large.kvHeads()) {
            throw new IllegalArgumentException("the small model's " + small.heads() + " query heads over "
                    + small.kvHeads() + " kv heads need " + groupsNeeded + " kv heads of the shape (" + large.heads()
                    + " query heads over " + large.kvHeads() + " kv heads), which has only " + large.kvHeads());
        }
        int nextKv = 0;
        for (int k = 0; k < small.kvHeads(); k++) {
            int slot = largeGroup; // start a new large group for every small kv head
            for (int j = 0; j < smallGroup; j++) {
                if (slot == largeGroup) {
                    kv[nextKv++] = k;
                    slot = 0;
                }
                query[(nextKv - 1) * largeGroup + slot++] = k * smallGroup + j;
            }
        }
        return new HeadMap(query, kv);
    }

    /** The small query head large query head {@code h} computes, or -1 for an extra head. */
    int smallQuery(int h) { return smallQueryOf[h]; }

    /** The small kv head large kv head {@code h} holds a copy of, or -1 for an extra kv head. */
    int smallKv(int h) { return smallKvOf[h]; }
}
