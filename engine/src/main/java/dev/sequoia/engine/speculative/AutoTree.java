package dev.sequoia.engine.speculative;

import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.tokenizer.Tokenizer;
import dev.sequoia.optimize.BatchTreeOptimizer;
import dev.sequoia.optimize.TreeChoice;
import dev.sequoia.optimize.TreeOptimizer;
import dev.sequoia.tree.AcceptanceVector;
import dev.sequoia.tree.LevelBoundedTreeDp;
import dev.sequoia.tree.Tree;
import dev.sequoia.tree.UnboundedTreeDp;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The {@code auto} tree policy: Sequoia's DP tree over the pair's acceptance vector, measured on-policy for
 * the request's sampling setting and cached on disk; its size and depth are the given ones, or the
 * hardware-aware optimizer's choice over measured verification times t(n) and the draft's time per level.
 */
public final class AutoTree implements TreeProvider {
    /** Prompts the acceptance vector is measured on when none are given. */
    public static final List<String> DEFAULT_PROMPTS = List.of("Once upon a time", "The little dog",
            "Lily and Tom went to the park", "One day, a boy", "She said", "It was a sunny day");
    /** Children per node the acceptance vector is measured for: the widest fan-out a tree may use. */
    public static final int WIDTH = 16;
    /** Budgets the optimizer considers when it chooses the size itself. */
    public static final int[] BUDGETS = {1, 2, 4, 8, 16, 32, 64, 128};
    private static final int DEFAULT_MAX_LEVELS = 16;

    private final LlamaTransformer target;
    private final LlamaTransformer draft;
    private final LayerSource targetLayers;
    private final Tokenizer tokenizer;
    private final PairProfiles profiles;
    private final Supplier<String> configuration;
    private final Supplier<VerificationProfiler.Profile> measurer;
    private final int budget;
    private final int depth;
    private final Map<String, TreeSpec> resolved = new ConcurrentHashMap<>();
    private final Map<String, AcceptanceVector> vectors = new ConcurrentHashMap<>();
    private final Map<PassKey, List<TreeSpec>> passPlans = new ConcurrentHashMap<>();
    private volatile BatchTreeOptimizer.Plan lastPassPlan;
    private volatile TreeChoice lastChoice;
    private volatile VerificationProfiler.Profile profile;

    /**
     * @param configuration names the hardware setting t(n) was measured in (threads, offload plan)
     * @param budget        tree size, 0 for the optimizer's choice
     * @param depth         most levels, 0 for unbounded (or the optimizer's choice up to 16)
     */
    public AutoTree(LlamaTransformer target, LayerSource targetLayers, LlamaTransformer draft, Tokenizer tokenizer,
                    PairProfiles profiles, String configuration, int budget, int depth) {
        this(target, targetLayers, draft, tokenizer, profiles, () -> configuration, budget, depth,
                () -> VerificationProfiler.measure(target, targetLayers, draft, BUDGETS, 64, 3));
    }

    /**
     * With the hardware configuration's name and its t(n) measurement given: the CUDA backend measures on the
     * GPU ({@code CudaModels.profile}) under a name made of the device, the budget and the device plan. Both
     * are asked for only when no given size makes the profile unnecessary, on the thread that builds the tree.
     *
     * @param configuration the name the profile is cached under (per model pair, in {@code profiles})
     * @param measurer      measures the profile when the cache has none
     */
    public AutoTree(LlamaTransformer target, LayerSource targetLayers, LlamaTransformer draft, Tokenizer tokenizer,
                    PairProfiles profiles, Supplier<String> configuration, int budget, int depth,
                    Supplier<VerificationProfiler.Profile> measurer) {
        this.target = target;
        this.targetLayers = targetLayers;
        this.draft = draft;
        this.tokenizer = tokenizer;
        this.profiles = profiles;
        this.configuration = configuration;
        this.measurer = measurer;
        this.budget = budget;
        this.depth = depth;
    }

    @Override
    public int maxSize() { return budget > 0 ? budget : profile().times().maxBudget(); }

    /** The tree for a sampling setting (measured on first use). */
    @Override
    public TreeSpec forSampling(double temperature, double topP) {
        String key = String.format(Locale.ROOT, "%.3f/%.3f", temperature, topP);
        return resolved.computeIfAbsent(key, k -> build(acceptance(temperature, topP)));
    }

    /**
     * With the optimizer choosing the size (no given budget), one pass's trees for several sessions: the
     * {@link BatchTreeOptimizer}'s split of the pass's tokens over the sessions' acceptance vectors (by their
     * sampling settings), t(n) and the draft's time per level. Plans are kept per multiset of settings, so a pass
     * re-plans only when the mix of sessions changes. With a given budget every session keeps its tree (null).
     */
    @Override
    public List<TreeSpec> forPass(List<Setting> sessions, int promptRows) {
        if (budget > 0 || sessions.size() < 2) return null;
        List<Setting> sorted = sessions.stream()
                .sorted(java.util.Comparator.comparingDouble(Setting::temperature).thenComparingDouble(Setting::topP))
                .toList();
        if (passPlans.size() > 256) passPlans.clear(); // many mixes seen: plans are cheap to redo
        List<TreeSpec> plan = passPlans.computeIfAbsent(new PassKey(sorted, promptRows), this::planPass);
        // hand the sorted plan's trees back in the sessions' order (equal settings get equal-ranked trees)
        List<TreeSpec> out = new java.util.ArrayList<>(sessions.size());
        boolean[] used = new boolean[sorted.size()];
        for (Setting s : sessions) {
            for (int i = 0; i < sorted.size(); i++) {
                if (!used[i] && sorted.get(i).equals(s)) {
                    used[i] = true;
                    out.add(plan.get(i));
                    break;
                }
            }
        }
        return out;
    }

    /** A pass's mix of sessions (sorted settings) and the prompt rows it carries: what its plan depends on. */
    private record PassKey(List<Setting> sessions, int promptRows) {
    }

    private List<TreeSpec> planPass(PassKey key) {
        List<Setting> sessions = key.sessions();
        List<AcceptanceVector> p = sessions.stream().map(s -> vector(s.temperature(), s.topP())).toList();
        VerificationProfiler.Profile profile = profile();
        BatchTreeOptimizer.Plan plan = BatchTreeOptimizer.optimize(p, profile.times(), profile.draftSecondsPerLevel(),
                depth > 0 ? depth : DEFAULT_MAX_LEVELS, maxSize(), key.promptRows());
        lastPassPlan = plan;
        return plan.sessions().stream().map(c -> TreeSpec.of(c.tree(), "auto (pass of " + sessions.size()
                + " sessions: " + c.budget() + " nodes, " + c.levels() + " levels)")).toList();
    }

    /** The acceptance vector of a sampling setting, one instance per setting (the optimizer shares its DP). */
    private AcceptanceVector vector(double temperature, double topP) {
        String key = String.format(Locale.ROOT, "%.3f/%.3f", temperature, topP);
        return vectors.computeIfAbsent(key, k -> AcceptanceVector.of(acceptance(temperature, topP).acceptance()));
    }

    /** The last shared pass's plan (null before the first pass with several sessions). */
    public BatchTreeOptimizer.Plan lastPassPlan() { return lastPassPlan; }

    /**
     * The last tree built, with its predicted time per token and speedup under the cost model: the optimizer's
     * choice, or for a given size the prediction from a cached profile that times it; null otherwise.
     */
    public TreeChoice lastChoice() { return lastChoice; }

    public AcceptanceMeasurer.Result acceptance(double temperature, double topP) {
        AcceptanceMeasurer.Result r = profiles.acceptance(temperature, topP);
        if (r == null) {
            r = AcceptanceMeasurer.measure(target, targetLayers, draft, tokenizer, DEFAULT_PROMPTS, WIDTH, 48, temperature, topP, 1);
            profiles.saveAcceptance(r);
        }
        return r;
    }

    /**
     * t(n) and the draft's time per level in this configuration: cached on disk (for instance by
     * {@code sequoia optimize}, possibly up to n = 1024), else measured over {@link #BUDGETS}.
     */
    public VerificationProfiler.Profile profile() {
        VerificationProfiler.Profile p = profile;
        if (p != null) return p;
        p = profiles.profile(configuration.get());
        if (p == null) {
            p = measurer.get();
            profiles.saveProfile(configuration.get(), p);
        }
        profile = p;
        return p;
    }

    private TreeSpec build(AcceptanceMeasurer.Result measured) {
        AcceptanceVector p = AcceptanceVector.of(measured.acceptance());
        if (budget > 0) {
            TreeSpec spec = fixedSize(p, budget, depth);
            lastChoice = predicted(p, spec.tree());
            return spec;
        }
        VerificationProfiler.Profile profile = profile();
        TreeChoice choice = TreeOptimizer.optimize(p, profile.times(), profile.draftSecondsPerLevel(),
                depth > 0 ? depth : DEFAULT_MAX_LEVELS);
        Tree tree = LevelBoundedTreeDp.solve(p, choice.budget(), choice.levels()).tree(choice.budget(), choice.levels());
        // the search prices every level at the width-8 draft time (Sequoia's constant c); the chosen tree's
        // prediction uses its own level widths
        TreeChoice priced = predicted(p, tree);
        lastChoice = priced != null ? priced : choice;
        return TreeSpec.of(tree, "auto (optimizer: " + choice.budget() + " nodes, " + choice.levels() + " levels)");
    }

    /**
     * What the optimizer's cost model predicts for a tree of a given size, when a profile of this configuration
     * is cached and times that size; else null (nothing is measured for a prediction alone).
     */
    private TreeChoice predicted(AcceptanceVector p, Tree tree) {
        VerificationProfiler.Profile cached = profile != null ? profile : profiles.profile(configuration.get());
        if (cached == null || !cached.times().byBudget().containsKey(tree.size())) return null;
        double g = tree.expectedTokens(p);
        double perToken = (cached.draftSecondsFor(tree) + cached.times().at(tree.size())) / g;
        return new TreeChoice(tree.size(), tree.levels(), g, perToken, cached.times().at(1) / perToken, tree);
    }

    /** The best tree of exactly {@code n} nodes, with at most {@code levels} levels (0: unbounded). */
    public static TreeSpec fixedSize(AcceptanceVector p, int n, int levels) {
        Tree tree = levels > 0 ? LevelBoundedTreeDp.solve(p, n, levels).tree(n, levels)
                : UnboundedTreeDp.solve(p, n).tree(n);
        return TreeSpec.of(tree, "auto (" + n + " nodes" + (levels > 0 ? ", " + levels + " levels" : "") + ")");
    }
}
