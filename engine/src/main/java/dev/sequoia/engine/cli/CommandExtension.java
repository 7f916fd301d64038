package dev.sequoia.engine.cli;

/**
 * A subcommand contributed by a module downstream of the engine (found with {@link java.util.ServiceLoader}
 * when its jar is on the class path), e.g. the experiments module's {@code experiment}: the engine cannot
 * depend on those modules, so {@link Main} discovers them instead.
 */
public interface CommandExtension {
    /** The picocli command object (a class annotated with {@code @Command}). */
    Object command();
}
