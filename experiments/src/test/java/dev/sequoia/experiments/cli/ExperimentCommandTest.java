package dev.sequoia.experiments.cli;

import dev.sequoia.engine.cli.Main;
import dev.sequoia.experiments.figures.Experiments;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.*;

/** The engine's command line finds {@code experiment} through the ServiceLoader registration of this module. */
class ExperimentCommandTest {
    @Test
    void mainListsEveryExperimentAndRejectsAnUnknownName() {
        CommandLine cl = Main.commandLine();
        assertTrue(cl.getSubcommands().containsKey("experiment"), "experiment registered");
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute("experiment", "list"));
        for (var e : Experiments.ALL) assertTrue(out.toString().contains(e.name()), e.name() + " listed");
        assertEquals(2, cl.execute("experiment", "no-such-figure"));
        assertTrue(err.toString().contains("unknown experiment 'no-such-figure'"), err.toString());
    }
}
