package dev.sequoia.engine.cli;

import dev.sequoia.cuda.Cuda;
import dev.sequoia.engine.backend.cuda.BackendChoice;
import dev.sequoia.engine.testing.SharedModels;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** {@code generate --backend}: parsing, the CPU default, and one-line errors for what CUDA cannot run. */
class GenerateCommandBackendTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    private static GenerateCommand parse(String... args) {
        GenerateCommand command = new GenerateCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void backendParsesAndDefaultsToTheCpu() {
        String model = SharedModels.targetGguf().toString();
        assertEquals(BackendChoice.CPU, parse("--model", model).engineConfig().backend());
        assertEquals(BackendChoice.CUDA, parse("--model", model, "--backend", "cuda").engineConfig().backend());
        assertEquals(BackendChoice.AUTO, parse("--model", model, "--backend", "AUTO").engineConfig().backend());
    }

    @Test
    void anUnknownBackendNamesTheAllowedOnes() {
        assertEquals(2, run("generate", "--model", SharedModels.targetGguf().toString(), "--backend", "gpu"));
        assertTrue(err.toString().contains("--backend must be cpu, cuda or auto, got 'gpu'"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void cudaWithoutADriverIsAOneLineErrorWithTheReason() {
        assumeFalse(Cuda.isAvailable(), "this machine has CUDA");
        assertEquals(2, run("generate", "--model", SharedModels.targetGguf().toString(), "--backend", "cuda", "-n", "2"));
        assertTrue(err.toString().contains("--backend cuda: " + Cuda.unavailableReason()), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void cudaWithTreeAutoOrInt8IsRefusedWithTheAlternatives() {
        assertEquals(2, run("generate", "--model", SharedModels.target().toString(), "--tokenizer",
                SharedModels.tokenizer().toString(), "--draft", SharedModels.draft().toString(), "--backend", "cuda"));
        assertTrue(err.toString().contains("--tree auto is not supported on the CUDA backend"), err.toString());
        assertTrue(err.toString().contains("chain:N, KxL (e.g. 4x8), dynamic:N or a growmap JSON file"), err.toString());
        assertEquals(2, run("generate", "--model", SharedModels.targetGguf().toString(), "--backend", "cuda", "--int8"));
        assertTrue(err.toString().contains("--int8 (int8 activations) runs on the CPU backend only"), err.toString());
    }
}
