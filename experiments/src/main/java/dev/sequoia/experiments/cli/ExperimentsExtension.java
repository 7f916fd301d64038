package dev.sequoia.experiments.cli;

import dev.sequoia.engine.cli.CommandExtension;

/** Hands the engine's command line the {@code experiment} command (registered in META-INF/services). */
public final class ExperimentsExtension implements CommandExtension {
    @Override
    public Object command() { return new ExperimentCommand(); }
}
