package dev.sequoia.experiments.figures;

import dev.sequoia.experiments.output.Figure;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One of the paper's figures as a runnable experiment: a plan of tasks, each computing a few CSV rows; a figure
 * and a report section drawn from the finished CSV. {@link ExperimentRunner} does the file work (resuming,
 * progress, the PNG, REPORT.md).
 */
public interface Experiment {
    String name();

    /** One line for {@code sequoia experiment list}. */
    String summary();

    List<String> columns();

    /** How many leading columns identify the task a row came from. */
    int keyColumns();

    /** The tasks, in the order their rows appear in the final CSV. */
    List<Task> plan(RunContext ctx);

    /** The plot of the finished CSV's rows. */
    Figure figure(List<Map<String, String>> rows);

    /** The section's body: what was run, the table, and the comparison with the paper. */
    String section(List<Map<String, String>> rows, RunContext ctx);

    /**
     * One unit of resumable work.
     *
     * @param key   the values of the first {@link #keyColumns} columns of each of its rows
     * @param label what the progress line says
     * @param rows  computes its rows
     */
    record Task(List<String> key, String label, Callable<List<List<String>>> rows) {}
}
