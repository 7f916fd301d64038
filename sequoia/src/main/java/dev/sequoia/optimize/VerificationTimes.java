package dev.sequoia.optimize;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Measured target verification times t(n) for a set of tree budgets n (tokens verified in one pass), in
 * any consistent unit. The optimizer reads t(1) as the autoregressive step time.
 */
public record VerificationTimes(SortedMap<Integer, Double> byBudget) {
    public VerificationTimes {
        if (byBudget.isEmpty()) {
            throw new IllegalArgumentException("verification times are empty: expected at least t(1)");
        }
        for (Map.Entry<Integer, Double> e : byBudget.entrySet()) {
            if (e.getKey() < 1) {
                throw new IllegalArgumentException("verification time for budget " + e.getKey()
                        + ": budgets start at 1");
            }
            if (!(e.getValue() > 0) || e.getValue().isInfinite()) {
                throw new IllegalArgumentException("verification time t(" + e.getKey() + ") = " + e.getValue()
                        + ": expected a finite positive time");
            }
        }
        byBudget = Collections.unmodifiableSortedMap(new TreeMap<>(byBudget));
    }

    /** Parses {@code "1=10,2=10,4=10,8=12"}: budget=time pairs separated by commas. */
    public static VerificationTimes parse(String text) {
        SortedMap<Integer, Double> times = new TreeMap<>();
        for (String pair : text.split(",")) {
            String[] kv = pair.strip().split("=");
            if (kv.length != 2) {
                throw new IllegalArgumentException("verification time '" + pair.strip()
                        + "': expected budget=time, e.g. 8=12");
            }
            try {
                int budget = Integer.parseInt(kv[0].strip());
                if (times.put(budget, Double.parseDouble(kv[1].strip())) != null) {
                    throw new IllegalArgumentException("verification time for budget " + budget + " given twice");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("verification time '" + pair.strip()
                        + "': expected an integer budget and a decimal time", e);
            }
        }
        return new VerificationTimes(times);
    }

    public int maxBudget() {
        return byBudget.lastKey();
    }

    /**
     * t(n) for any n >= 1: the measured time, else linear between the nearest measured budgets, else extended
     * along the last measured segment (the first: flat below it). A shared pass verifies sums of tree sizes,
     * which are rarely measured budgets.
     */
    public double estimate(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("verification time for " + n + " tokens: expected n >= 1");
        }
        Double exact = byBudget.get(n);
        if (exact != null) {
            return exact;
        }
        SortedMap<Integer, Double> below = byBudget.headMap(n);
        SortedMap<Integer, Double> above = byBudget.tailMap(n);
        if (below.isEmpty()) {
            return byBudget.get(byBudget.firstKey());
        }
        int lo = below.lastKey();
        int hi;
        if (!above.isEmpty()) {
            hi = above.firstKey();
        } else if (below.size() >= 2) {
            hi = lo;
            lo = below.headMap(lo).lastKey();
        } else {
            return byBudget.get(lo);
        }
        double a = byBudget.get(lo);
        double b = byBudget.get(hi);
        return Math.max(a, a + (b - a) * (n - lo) / (double) (hi - lo));
    }

    public double at(int budget) {
        Double t = byBudget.get(budget);
        if (t == null) {
            throw new IllegalArgumentException("no verification time for budget " + budget + ": have "
                    + byBudget.keySet());
        }
        return t;
    }
}
