package dev.sequoia.experiments.cli;

import dev.sequoia.experiments.figures.Experiment;
import dev.sequoia.experiments.figures.ExperimentRunner;
import dev.sequoia.experiments.figures.Experiments;
import dev.sequoia.experiments.figures.RunContext;
import dev.sequoia.experiments.pair.TinyPair;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code sequoia experiment NAME [--quick] [--out DIR]} and {@code sequoia experiment list}: reruns one of the
 * paper's figures, writing its CSV, PNG and REPORT.md section under DIR.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Reproduce one of the paper's experiments as a CSV, a PNG and a section of REPORT.md ('list' names them).")
public final class ExperimentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "an experiment name, or 'list'")
    String name;

    @Option(names = "--quick", description = "small sizes and fixed seeds: seconds, for tests and smoke checks")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "where REPORT.md and figures/ go (default: experiments/ of the project)")
    Path out;

    @Option(names = "--models", paramLabel = "DIR", description = "folder of the stories260K pair (default: the bundled one)")
    Path models;

    // one thread by default: the tiny pair's forwards are so small that handing work to a second thread costs more than
    // it saves, badly so on a loaded machine (exactness, quick: 27 s on 1 thread, 172 s on 2 at load 20)
    @Option(names = "--threads", defaultValue = "1", description = "compute threads (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "-P", paramLabel = "KEY=VALUE", description = "an experiment setting, e.g. -P offload-model=FILE (see the experiment's section)")
    java.util.Map<String, String> params = new java.util.LinkedHashMap<>();

    @Option(names = "--seed", defaultValue = "1", description = "seed of every random stream (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        System.setProperty("java.awt.headless", "true");
        if (name.equals("list")) {
            for (Experiment e : Experiments.ALL) spec.commandLine().getOut().printf("%-12s %s%n", e.name(), e.summary());
            return 0;
        }
        Experiment e = Experiments.byName(name).orElseThrow(() -> new ParameterException(spec.commandLine(),
                "unknown experiment '" + name + "': expected list or one of " + Experiments.names()));
        if (threads < 1) throw new ParameterException(spec.commandLine(), "--threads " + threads + ": expected >= 1");
        Path home = Path.of(System.getProperty("sequoia.home", "."));
        Path dir = out != null ? out : home.resolve("experiments");
        Path pair = models != null ? models : home.resolve(TinyPair.BUNDLED);
        String command = "bin/sequoia experiment " + name + (quick ? " --quick" : "")
                + (out != null ? " --out " + out : "") + (threads != 1 ? " --threads " + threads : "")
                + (seed != 1 ? " --seed " + seed : "")
                + params.entrySet().stream().map(p -> " -P " + p.getKey() + "=" + p.getValue()).collect(java.util.stream.Collectors.joining());
        try (RunContext ctx = new RunContext(quick, dir, pair, threads, seed, command, params)) {
            ExperimentRunner.Outcome o = ExperimentRunner.run(e, ctx);
            spec.commandLine().getOut().printf("wrote %s, %s and its section of %s%n", o.csv(), o.png(), o.report());
        }
        return 0;
    }
}
