package dev.sequoia.experiments.output;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long run on stderr: a progress bar when the JVM runs on a terminal, otherwise (a log file, a
 * test, a pipe) one plain line per finished task with the elapsed time.
 */
public final class Progress implements AutoCloseable {
    private final String name;
    private final int total;
    private final ProgressBar bar;
    private final PrintStream err = System.err;
    private final long start = System.nanoTime();
    private int done;

    private Progress(String name, int total, boolean terminal) {
        this.name = name;
        this.total = total;
        this.bar = terminal ? new ProgressBarBuilder().setTaskName(name).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build() : null;
    }

    /** Starts reporting a run of {@code total} tasks. */
    public static Progress start(String name, int total) {
        java.io.Console console = System.console();
        return new Progress(name, total, console != null && console.isTerminal());
    }

    /** One task finished. */
    public void step(String what) {
        done++;
        if (bar != null) {
            bar.setExtraMessage(what);
            bar.step();
        } else {
            err.printf(Locale.ROOT, "[%s] %d/%d %s (%.0f s)%n", name, done, total, what, (System.nanoTime() - start) / 1e9);
        }
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
