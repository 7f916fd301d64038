package dev.sequoia.engine.speculative;

/** Hands out the tree for a request's sampling setting: fixed shapes ignore it, {@link AutoTree} measures for it. */
public interface TreeProvider {
    TreeSpec forSampling(double temperature, double topP);

    /** Most nodes (root included) any tree it hands out has. */
    int maxSize();

    /** A session's sampling setting, as trees depend on it. */
    record Setting(double temperature, double topP) {
    }

    /** {@link #forPass(java.util.List, int)} for a pass that carries no prompt rows. */
    default java.util.List<TreeSpec> forPass(java.util.List<Setting> sessions) { return forPass(sessions, 0); }

    /**
     * The trees for one shared pass over sessions with these settings (one tree per session, in order, each at
     * most {@link #maxSize()} nodes) when the pass also carries {@code promptRows} rows of joining sessions'
     * prompts, or null to let each session use {@link #forSampling}: a provider that splits the pass's token
     * budget between sessions overrides it.
     */
    default java.util.List<TreeSpec> forPass(java.util.List<Setting> sessions, int promptRows) { return null; }

    static TreeProvider fixed(TreeSpec spec) {
        return new TreeProvider() {
            @Override public TreeSpec forSampling(double temperature, double topP) { return spec; }
            @Override public int maxSize() { return spec.maxSize(); }
        };
    }
}
