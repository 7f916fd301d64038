package dev.sequoia.engine.cli;

import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.backend.cuda.BackendChoice;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options that open an engine: model files, tree, threads, context, backend, int8 and offloading.
 * Shared by {@code generate} and {@code serve}, so both read the same flags the same way.
 */
final class EngineOptions {
    @Mixin
    ModelPaths models = new ModelPaths();

    @Option(names = "--tree", paramLabel = "POLICY", description = "auto | chain:N | KxL | dynamic:N | none | growmap FILE (default: auto with --draft, else none).")
    String tree;

    @Option(names = "--budget", defaultValue = "0", description = "Tree size in nodes, root included, for --tree auto (0: optimizer's choice).")
    int budget;

    @Option(names = "--depth", defaultValue = "0", description = "Most tree levels, root included, for --tree auto (0: optimizer's choice).")
    int depth;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--context", defaultValue = "0", description = "Most tokens per session (default: the model's context length).")
    int context;

    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "NAME",
            description = "cpu (default) | cuda | auto (CUDA when a driver, a GPU and the bundled kernels are present)."
                    + " CUDA does not support --int8, --tree auto or the prompt-prefix cache.")
    String backend;

    @Mixin
    Int8Option int8 = new Int8Option();

    @Mixin
    OffloadOptions offload = new OffloadOptions();

    /** The engine configuration these flags name, for a command to adjust before it builds it. */
    EngineConfig.Builder builder() {
        return EngineConfig.builder(models.target()).draft(models.draftOrNull()).tree(tree).budget(budget)
                .depth(depth).threads(threads.count()).contextLength(context).offload(offload.settings())
                .int8Activations(int8.enabled).backend(BackendChoice.parse(backend));
    }

    EngineConfig config() {
        return builder().build();
    }
}
