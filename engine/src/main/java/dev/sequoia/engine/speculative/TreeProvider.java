package dev.sequoia.engine.speculative;

/** Hands out the tree for a request's sampling setting: fixed shapes ignore it, {@link AutoTree} measures for it. */
public interface TreeProvider {
    TreeSpec forSampling(double temperature, double topP);

    /** Most nodes (root included) any tree it hands out has. */
    int maxSize();

    static TreeProvider fixed(TreeSpec spec) {
        return new TreeProvider() {
            @Override public TreeSpec forSampling(double temperature, double topP) { return spec; }
            @Override public int maxSize() { return spec.maxSize(); }
        };
    }
}
