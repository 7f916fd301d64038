package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.kv.KvCache;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host plan of a shared CUDA forward ({@link PassLayout} over {@link TreeRows}), without a GPU: a scalar twin
 * of the pass's data flow (K/V rows computed for the whole batch at each row's position, scattered into each
 * sequence's own cache at {@code cacheRow}, attention per part over its own cache through its slice of the
 * visibility mask, the classifier's rows gathered by {@link PassLayout#logitRows}, and the keep's compaction)
 * against each sequence computed on its own from the CPU backend's {@link KvCache} bookkeeping (positions,
 * ancestors). Several steps of random trees over sequences of different prompt lengths, with earlier pending
 * rows (a draft's levels), several roots and prompt chains fed ahead of a step, must give exactly each
 * sequence's own result; the plan's pieces are also checked one by one against the KvCache.
 */
class PassLayoutTest {
    private static final int D = 4; // width of the toy keys, values and queries

    /** One sequence as the shared pass sees it (TreeRows and simulated device rows) and as a KvCache sees it. */
    private static final class Sequence {
        final TreeRows rows;
        final KvCache reference;
        final float[][] keys, values; // the simulated device cache, one layer
        final List<int[]> committedRows = new ArrayList<>(); // reference: (token, position) of each committed row
        final List<int[]> pendingRows = new ArrayList<>();   // reference: (token, position) of each pending row

        Sequence(int capacity) {
            rows = new TreeRows(capacity);
            reference = new KvCache(1, D, capacity);
            keys = new float[capacity][];
            values = new float[capacity][];
        }
    }

    @Test
    void aSharedPassOfMixedSequencesGivesEachSequenceItsOwnResult() {
        Random r = new Random(18);
        List<Sequence> seqs = new ArrayList<>();
        int[] prompts = {3, 17, 1, 40};
        for (int p : prompts) {
            Sequence s = new Sequence(256);
            step(List.of(s), List.<int[][]>of(chain(p, r)), List.of(p - 1 > 0 ? p - 1 : 0), true, r); // prompt, chain fed ahead
            seqs.add(s);
        }
        for (int stepNo = 0; stepNo < 12; stepNo++) {
            // a draft-like earlier forward on some sequences: pending rows before the shared forward
            for (int i = 0; i < seqs.size(); i++) {
                if ((stepNo + i) % 3 == 0) step(List.of(seqs.get(i)), List.<int[][]>of(tree(1 + r.nextInt(5), r)), List.of(0), false, r);
            }
            List<int[][]> trees = new ArrayList<>();
            List<Integer> fedAhead = new ArrayList<>();
            for (int i = 0; i < seqs.size(); i++) {
                int feed = (stepNo + i) % 4 == 1 ? 1 + r.nextInt(6) : 0;
                trees.add(withChainAhead(feed, tree(1 + r.nextInt(9), r), seqs.get(i).rows.pending(), r));
                fedAhead.add(feed);
            }
            step(seqs, trees, fedAhead, true, r);
        }
    }

    /** The plan's pieces against the KvCache, and a part that is not the end of its pending rows is refused. */
    @Test
    void positionsMasksScatterRowsAndLogitRowsFollowEachCache() {
        Sequence a = new Sequence(64), b = new Sequence(64);
        append(a, new int[]{-1, 0, 1, 2}); // a 4-row prompt chain
        a.rows.keep(new int[]{0, 1, 2, 3});
        a.reference.keep(new int[]{0, 1, 2, 3});
        append(b, new int[]{-1, 0});
        b.rows.keep(new int[]{0, 1});
        b.reference.keep(new int[]{0, 1});
        append(b, new int[]{-1, -1, 0}); // an earlier forward's pending rows
        int[][] ta = {{5, 6, 7}, {-1, 0, 0}}, tb = {{8, 9, 10, 11}, {2, 3, -1, 0}};
        int fa = a.rows.append(ta[1]), fb = b.rows.append(tb[1]);
        assertEquals(fa, a.reference.appendPending(ta[1]));
        assertEquals(fb, b.reference.appendPending(tb[1]));
        PassLayout l = PassLayout.of(List.of(new PassLayout.Part(a.rows, fa, ta[0], 0), new PassLayout.Part(b.rows, fb, tb[0], 1)));
        assertEquals(7, l.rows);
        assertArrayEquals(new int[]{0, 3}, l.offset);
        assertArrayEquals(new int[]{4, 2 + 3}, l.cacheRow, "each part's rows follow its cache's committed and earlier pending rows");
        assertArrayEquals(new int[]{3, 7}, l.pendingTotal);
        assertArrayEquals(new int[]{0, 3 * 3}, l.maskOffset);
        assertArrayEquals(new int[]{5, 6, 7, 8, 9, 10, 11}, l.tokens);
        assertArrayEquals(new int[]{0, 1, 2, 4, 5, 6}, l.logitRows, "part b's first row is a fed chain: no logits");
        assertArrayEquals(new int[]{0, 3}, l.logitOffset);
        assertArrayEquals(new int[]{3, 3}, l.logitCount);
        assertTrue(l.compacts());
        Sequence[] seqs = {a, b};
        for (int i = 0; i < 2; i++) {
            KvCache ref = seqs[i].reference;
            for (int t = 0; t < l.count[i]; t++) {
                int p = (i == 0 ? fa : fb) + t;
                assertEquals(ref.pendingPosition(p), l.positions[l.offset[i] + t]);
                assertEquals(ref.pendingRow(p), l.cacheRow[i] + t);
                boolean[] want = new boolean[l.pendingTotal[i]];
                for (int v : ref.visiblePending(p)) want[v] = true;
                for (int j = 0; j < want.length; j++) {
                    assertEquals(want[j], l.mask[l.maskOffset[i] + t * l.pendingTotal[i] + j] != 0, "part " + i + " row " + t + " sees " + j);
                }
            }
        }
        // staging: tokens, positions, mask and the classifier's row indices, each aligned
        assertTrue(l.stagingBytes() >= 4L * 7 + 4L * 7 + l.mask.length + 4L * 6);
        assertThrows(IllegalArgumentException.class, () -> PassLayout.of(List.of(new PassLayout.Part(b.rows, 0, tb[0], 0))));
    }

    /** A pass whose parts all want every row's logits does not gather (the single-sequence path of today). */
    @Test
    void withoutFedChainsEveryRowGetsLogitsInBatchOrder() {
        Sequence a = new Sequence(16), b = new Sequence(16);
        int fa = a.rows.append(new int[]{-1, 0}), fb = b.rows.append(new int[]{-1});
        PassLayout l = PassLayout.of(List.of(new PassLayout.Part(a.rows, fa, new int[]{1, 2}, 0), new PassLayout.Part(b.rows, fb, new int[]{3}, 0)));
        assertEquals(false, l.compacts());
        assertArrayEquals(new int[]{0, 1, 2}, l.logitRows);
        assertEquals(StagedInputs.bytesFor(12, 12, l.mask.length), l.stagingBytes());
    }

    // ---- the scalar twin of a shared forward and its keep --------------------------------------------------------

    /**
     * One forward of {@code trees} (tokens, parents; a chain fed ahead is the first {@code fedAhead} rows, whose
     * parents run from the earlier pending rows) for every sequence as one pass, checked against each alone; then,
     * when {@code keep}, every sequence keeps a random root-to-node path of its pending rows (fed chain first).
     */
    private static void step(List<Sequence> seqs, List<int[][]> trees, List<Integer> fedAhead, boolean keep, Random r) {
        List<PassLayout.Part> parts = new ArrayList<>();
        for (int i = 0; i < seqs.size(); i++) {
            Sequence s = seqs.get(i);
            int[][] t = trees.get(i);
            int first = append(s, t[1]);
            for (int k = 0; k < t[0].length; k++) s.pendingRows.add(new int[]{t[0][k], s.reference.pendingPosition(first + k)});
            parts.add(new PassLayout.Part(s.rows, first, t[0], Math.min(fedAhead.get(i), t[0].length)));
        }
        PassLayout l = PassLayout.of(parts);
        List<double[][]> shared = sharedPass(l, seqs);
        for (int i = 0; i < seqs.size(); i++) {
            Sequence s = seqs.get(i);
            double[][] alone = alone(s, parts.get(i).first(), trees.get(i)[0].length, parts.get(i).logitsFrom());
            assertEquals(alone.length, shared.get(i).length, "sequence " + i + " logit rows");
            for (int t = 0; t < alone.length; t++) {
                assertArrayEquals(alone[t], shared.get(i)[t], 1e-12, "sequence " + i + " row " + t);
            }
        }
        if (!keep) return;
        for (Sequence s : seqs) keepBoth(s, randomPath(s, r));
    }

    private static int append(Sequence s, int[] parents) {
        int first = s.rows.append(parents);
        assertEquals(first, s.reference.appendPending(parents));
        return first;
    }

    /** The shared pass on the simulated device: batch K/V, scatter per part, attention per part, classifier rows. */
    private static List<double[][]> sharedPass(PassLayout l, List<Sequence> seqs) {
        float[][] k = new float[l.rows][], v = new float[l.rows][], q = new float[l.rows][];
        for (int t = 0; t < l.rows; t++) {
            k[t] = vec(l.tokens[t], l.positions[t], 1);
            v[t] = vec(l.tokens[t], l.positions[t], 2);
            q[t] = vec(l.tokens[t], l.positions[t], 3);
        }
        double[][] out = new double[l.rows][];
        for (int i = 0; i < l.parts(); i++) {
            Sequence s = seqs.get(i);
            for (int t = 0; t < l.count[i]; t++) {
                s.keys[l.cacheRow[i] + t] = k[l.offset[i] + t];
                s.values[l.cacheRow[i] + t] = v[l.offset[i] + t];
            }
            for (int t = 0; t < l.count[i]; t++) {
                int committed = l.committed[i], pending = l.pendingTotal[i];
                List<Integer> visible = new ArrayList<>();
                for (int row = 0; row < committed + pending; row++) {
                    if (row < committed || l.mask[l.maskOffset[i] + t * pending + row - committed] != 0) visible.add(row);
                }
                out[l.offset[i] + t] = attend(q[l.offset[i] + t], s.keys, s.values, visible);
            }
        }
        List<double[][]> logits = new ArrayList<>();
        double[][] gathered = new double[l.logitRows.length][];
        for (int j = 0; j < gathered.length; j++) gathered[j] = out[l.logitRows[j]];
        for (int i = 0; i < l.parts(); i++) logits.add(Arrays.copyOfRange(gathered, l.logitOffset[i], l.logitOffset[i] + l.logitCount[i]));
        return logits;
    }

    /** The sequence alone, from its own history: committed rows, then each new row's ancestors and itself. */
    private static double[][] alone(Sequence s, int first, int n, int logitsFrom) {
        int committed = s.committedRows.size();
        float[][] keys = new float[committed + s.pendingRows.size()][], values = new float[keys.length][];
        for (int j = 0; j < committed; j++) {
            keys[j] = vec(s.committedRows.get(j)[0], s.committedRows.get(j)[1], 1);
            values[j] = vec(s.committedRows.get(j)[0], s.committedRows.get(j)[1], 2);
        }
        for (int j = 0; j < s.pendingRows.size(); j++) {
            keys[committed + j] = vec(s.pendingRows.get(j)[0], s.pendingRows.get(j)[1], 1);
            values[committed + j] = vec(s.pendingRows.get(j)[0], s.pendingRows.get(j)[1], 2);
        }
        double[][] out = new double[n - logitsFrom][];
        for (int t = logitsFrom; t < n; t++) {
            int p = first + t;
            List<Integer> visible = new ArrayList<>();
            for (int j = 0; j < committed; j++) visible.add(j);
            for (int a : s.reference.visiblePending(p)) visible.add(committed + a);
            int[] row = s.pendingRows.get(p);
            out[t - logitsFrom] = attend(vec(row[0], row[1], 3), keys, values, visible);
        }
        return out;
    }

    private static double[] attend(float[] q, float[][] keys, float[][] values, List<Integer> rows) {
        double[] w = new double[rows.size()];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < w.length; j++) {
            double dot = 0;
            for (int d = 0; d < D; d++) dot += q[d] * keys[rows.get(j)][d];
            w[j] = dot;
            max = Math.max(max, dot);
        }
        for (int j = 0; j < w.length; j++) sum += w[j] = Math.exp(w[j] - max);
        double[] out = new double[D];
        for (int j = 0; j < w.length; j++) {
            for (int d = 0; d < D; d++) out[d] += w[j] / sum * values[rows.get(j)][d];
        }
        return out;
    }

    /** A toy projection of (token, position): what RoPE'd keys, values and queries depend on. */
    private static float[] vec(int token, int position, int which) {
        float[] x = new float[D];
        for (int d = 0; d < D; d++) x[d] = (float) Math.sin(0.37 * token * (d + which) + 0.11 * position * (d + 1) + which);
        return x;
    }

    /** Keeps {@code path} in both views: the simulated device compaction (gather, then copy back) and the reference. */
    private static void keepBoth(Sequence s, int[] path) {
        int base = s.rows.committed();
        int[] src = s.rows.keep(path);
        float[][] gk = new float[src.length][], gv = new float[src.length][];
        for (int j = 0; j < src.length; j++) {
            gk[j] = s.keys[src[j]];
            gv[j] = s.values[src[j]];
        }
        for (int j = 0; j < src.length; j++) {
            s.keys[base + j] = gk[j];
            s.values[base + j] = gv[j];
        }
        s.reference.keep(path);
        for (int p : path) s.committedRows.add(s.pendingRows.get(p));
        s.pendingRows.clear();
        assertEquals(s.reference.committed(), s.rows.committed());
    }

    /** A root-to-node chain of the pending rows, starting at pending row 0. */
    private static int[] randomPath(Sequence s, Random r) {
        int pending = s.rows.pending();
        int node = r.nextInt(pending);
        while (true) { // a node whose root is pending row 0 (a row of another root is not a kept path from 0)
            int root = node;
            while (s.reference.pendingParent(root) >= 0) root = s.reference.pendingParent(root);
            if (root == 0) break;
            node = r.nextInt(pending);
        }
        java.util.ArrayDeque<Integer> path = new java.util.ArrayDeque<>();
        for (int v = node; v >= 0; v = s.reference.pendingParent(v)) path.addFirst(v);
        return path.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[][] chain(int n, Random r) {
        int[][] t = new int[2][n];
        for (int i = 0; i < n; i++) {
            t[0][i] = r.nextInt(500);
            t[1][i] = i - 1;
        }
        return t;
    }

    /** A random tree of n rows (parents relative to the tree; -1: a root). */
    private static int[][] tree(int n, Random r) {
        int[][] t = new int[2][n];
        for (int i = 0; i < n; i++) {
            t[0][i] = r.nextInt(500);
            t[1][i] = i == 0 ? -1 : r.nextInt(i + 1) - 1;
        }
        return t;
    }

    /**
     * A step's rows as a shared pass appends them: a chain of {@code feed} tokens first (its first row's parent the
     * last earlier pending row, as FeedAhead numbers it), then {@code tree} with its rows shifted past the chain
     * and the earlier pending rows and its roots hanging from the chain's end.
     */
    private static int[][] withChainAhead(int feed, int[][] tree, int pendingBefore, Random r) {
        int n = tree[0].length;
        int[][] t = new int[2][feed + n];
        for (int i = 0; i < feed; i++) {
            t[0][i] = r.nextInt(500);
            t[1][i] = pendingBefore + i - 1;
        }
        for (int i = 0; i < n; i++) {
            t[0][feed + i] = tree[0][i];
            int p = tree[1][i];
            t[1][feed + i] = p < 0 ? (feed > 0 ? pendingBefore + feed - 1 : -1) : pendingBefore + feed + p;
        }
        return t;
    }
}
