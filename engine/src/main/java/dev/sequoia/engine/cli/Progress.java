package dev.sequoia.engine.cli;

import java.io.PrintStream;
import java.util.function.LongConsumer;

/**
 * A progress bar for long preparations (writing a planted model): redrawn in place on a terminal, plain
 * lines every 10% when stderr is a file or a pipe. Told the units done so far; prints on stderr.
 */
final class Progress implements LongConsumer {
    private static final int WIDTH = 40;

    private final String title;
    private final long total;
    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private int lastTenth = -1;

    Progress(String title, long total) {
        this(title, total, System.err, System.console() != null && System.console().isTerminal());
    }

    Progress(String title, long total, PrintStream out, boolean terminal) {
        this.title = title;
        this.total = Math.max(1, total);
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public void accept(long done) {
        double fraction = Math.min(1, (double) done / total);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (terminal) {
            int filled = (int) (fraction * WIDTH);
            out.printf("\r%s [%s%s] %3.0f%% %.1f/%.1f GB %.0f s", title, "=".repeat(filled), " ".repeat(WIDTH - filled),
                    fraction * 100, done / 1e9, total / 1e9, seconds);
            if (fraction >= 1) out.println();
            out.flush();
        } else {
            int tenth = (int) (fraction * 10);
            if (tenth == lastTenth) return;
            lastTenth = tenth;
            out.printf("%s: %3d%% (%.2f of %.2f GB, %.0f s)%n", title, tenth * 10, done / 1e9, total / 1e9, seconds);
        }
    }
}
