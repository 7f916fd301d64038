package dev.sequoia.engine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bin/sequoia} command line. Each subcommand is a class of its own in this package.
 */
@Command(name = "sequoia", mixinStandardHelpOptions = true, version = "sequoia 0.1.0",
        description = "Offloading LLM inference with Sequoia speculative decoding.",
        subcommands = {CommandLine.HelpCommand.class, GenerateCommand.class, OptimizeCommand.class, DemoCommand.class, AcceptCommand.class, BenchCommand.class,
                SyntheticCommand.class, OffloadBenchCommand.class, TreeCommand.class, SplitCommand.class, ServeCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by main and the tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (CommandExtension extension : java.util.ServiceLoader.load(CommandExtension.class)) {
            cl.addSubcommand(extension.command());
        }
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl;
    }
}
