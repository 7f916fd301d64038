package dev.sequoia.engine.cli;

import dev.sequoia.cuda.Cuda;
import dev.sequoia.engine.backend.cuda.BackendChoice;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;


import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** {@code generate --backend}: parsing, the CPU default, and one-line errors for what CUDA cannot run. */
class GenerateCommandBackendTest {
    private static GenerateCommand parse(String... args) {
        GenerateCommand command = new GenerateCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void backendParsesAndDefaultsToTheCpu() {
        String model = Fixtures.targetGguf().toString();
        assertEquals(BackendChoice.CPU, parse("--model", model).engineConfig().backend());
        assertEquals(BackendChoice.CUDA, parse("--model", model, "--backend", "cuda").engineConfig().backend());
        assertEquals(BackendChoice.AUTO, parse("--model", model, "--backend", "AUTO").engineConfig().backend());
    }

    @Test
    void anUnknownBackendNamesTheAllowedOnes() {
        CliRun r = CliRun.of("generate", "--model", Fixtures.targetGguf().toString(), "--backend", "gpu");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--backend must be cpu, cuda or auto, got 'gpu'"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void cudaWithoutADriverIsAOneLineErrorWithTheReason() {
        assumeFalse(Cuda.isAvailable(), "this machine has CUDA");
        CliRun r = CliRun.of("generate", "--model", Fixtures.targetGguf().toString(), "--backend", "cuda", "-n", "2");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--backend cuda: " + Cuda.unavailableReason()), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void cudaWithInt8IsRefusedWithTheAlternative() {
        CliRun int8 = CliRun.of("generate", "--model", Fixtures.targetGguf().toString(), "--backend", "cuda", "--int8");
        assertEquals(2, int8.exit());
        assertTrue(int8.err().contains("--int8 (int8 activations) runs on the CPU backend only"), int8.err());
    }

    @Test
    void cudaWithTreeAutoIsAcceptedAndWithoutADriverFailsOnlyForTheDriver() {
        assumeFalse(Cuda.isAvailable(), "this machine has CUDA");
        CliRun auto = CliRun.of("generate", "--model", Fixtures.target().toString(), "--tokenizer",
                Fixtures.tokenizer().toString(), "--draft", Fixtures.draft().toString(), "--backend", "cuda");
        assertEquals(2, auto.exit());
        assertFalse(auto.err().contains("--tree auto is not supported"), auto.err());
        assertTrue(auto.err().contains("--backend cuda: " + Cuda.unavailableReason()), auto.err());
    }
}
