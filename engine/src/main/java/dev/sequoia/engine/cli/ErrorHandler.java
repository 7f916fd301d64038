package dev.sequoia.engine.cli;

import picocli.CommandLine;

/**
 * Turns the errors a user can cause (bad files, bad parameters) into one clear line and exit code 2,
 * instead of a stack trace. Unexpected errors still print their trace: those are our bugs.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        if (ex instanceof IllegalArgumentException || ex instanceof dev.sequoia.engine.format.ModelFormatException
                || ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
            cl.getErr().println("sequoia " + cl.getCommandName() + ": error: " + ex.getMessage());
            return 2;
        }
        ex.printStackTrace(cl.getErr());
        return 1;
    }
}
