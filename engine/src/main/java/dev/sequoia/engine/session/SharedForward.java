package dev.sequoia.engine.session;

import dev.sequoia.engine.model.LlamaTransformer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs several sequences' forwards in as few passes as their models allow: requests whose models share a
 * {@link PassModel.Key} become one forward of that key (each weight read once for all of them: on the CPU
 * {@link LlamaTransformer#forward(List, dev.sequoia.engine.model.LayerSource)}, on CUDA the backend's shared
 * forward), the others run alone.
 */
public final class SharedForward {
    private SharedForward() {}

    /**
     * One sequence's forward: its model and the rows to append to its cache (parents: the cache's pending rows);
     * the rows before {@code logitsFrom} are a prompt chain fed ahead of the step's rows, whose logits are not
     * computed. Made by {@link PassModel#request}.
     */
    public record Request(PassModel model, int[] tokens, int[] parents, int logitsFrom) {
        /** The rows of the step's forward alone: logits for every row. */
        public Request(PassModel model, int[] tokens, int[] parents) {
            this(model, tokens, parents, 0);
        }
    }

    /** A group of requests that ran (or failed) together. */
    public record Outcome(List<Integer> requests, List<float[][]> logits, RuntimeException failure) {
    }

    /**
     * Runs the requests, grouped by pass key; returns per group which requests it held and their logits (in
     * request order), or the failure that ended that group's pass (the other groups are unaffected).
     */
    public static List<Outcome> run(List<Request> requests) {
        Map<Object, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            PassModel.Key key = requests.get(i).model().passKey();
            groups.computeIfAbsent(key != null ? key : new Object(), k -> new ArrayList<>()).add(i);
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Map.Entry<Object, List<Integer>> group : groups.entrySet()) {
            List<Integer> members = group.getValue();
            try {
                outcomes.add(new Outcome(members, runGroup(group.getKey(), members, requests), null));
            } catch (RuntimeException e) {
                outcomes.add(new Outcome(members, null, e));
            }
        }
        return outcomes;
    }

    private static List<float[][]> runGroup(Object key, List<Integer> members, List<Request> requests) {
        if (!(key instanceof PassModel.Key k)) {
            Request r = requests.get(members.getFirst());
            return List.<float[][]>of(r.model().forward(r));
        }
        List<Request> group = new ArrayList<>(members.size());
        for (int i : members) group.add(requests.get(i));
        long t0 = System.nanoTime();
        List<float[][]> logits = k.forward(group);
        long nanos = System.nanoTime() - t0;
        for (int j = 0; j < members.size(); j++) {
            Request r = requests.get(members.get(j));
            r.model().recordShared(r, logits.get(j), nanos);
        }
        return logits;
    }

    /** Total rows of some requests (prompt chains included). */
    public static int rows(List<Request> requests) {
        return requests.stream().mapToInt(r -> r.tokens().length).sum();
    }
}
