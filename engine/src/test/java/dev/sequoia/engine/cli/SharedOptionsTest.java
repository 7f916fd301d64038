package dev.sequoia.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.backend.cuda.BackendChoice;
import dev.sequoia.engine.backend.offload.OffloadSettings;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.testing.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * One test per shared option mixin: its defaults, its parsing, and that every command using it reads the same
 * flags the same way (so a flag means one thing across {@code generate}, {@code serve}, {@code optimize},
 * {@code accept}, {@code demo}, {@code bench} and {@code bench-offload}).
 */
class SharedOptionsTest {
    @Command(name = "host")
    static final class Host {
        @Mixin ThreadsOption threads = new ThreadsOption();
        @Mixin SamplingOptions sampling = new SamplingOptions();
        @Mixin Int8Option int8 = new Int8Option();
        @Mixin OffloadOptions offload = new OffloadOptions();
    }

    @Command(name = "models")
    static final class ModelsHost {
        @Mixin ModelPaths models = new ModelPaths();
    }

    private static <T> T parse(T command, String... args) {
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void threadsDefaultToAllCoresAndParseTheSameInEveryCommandThatSharesThem() {
        assertEquals(EngineConfig.defaultThreads(), parse(new Host()).threads.count());
        assertEquals(3, parse(new Host(), "--threads", "3").threads.count());
        String model = Fixtures.targetGguf().toString();
        List<Function<String[], ThreadsOption>> commands = List.of(
                a -> parse(new GenerateCommand(), a).engineOptions.threads,
                a -> parse(new ServeCommand(), a).engine.threads,
                a -> parse(new OptimizeCommand(), append(a, "--draft", model)).threads,
                a -> parse(new AcceptCommand(), rename(a)).threads,
                a -> parse(new DemoCommand(), new String[] {"--threads", "5"}).threads);
        for (Function<String[], ThreadsOption> command : commands) {
            assertEquals(5, command.apply(new String[] {"--model", model, "--threads", "5"}).count());
        }
    }

    @Command(name = "seven")
    static final class SevenThreadsHost {
        @Mixin ThreadsOption threads = new ThreadsOption(() -> 7);
    }

    @Test
    void theBenchmarksDefaultToTwoThreadsAndParseThemTheSame() {
        // a default other than this machine's core count, so a mixin that ignores its default is caught anywhere
        assertEquals(7, parse(new SevenThreadsHost()).threads.count());
        assertEquals(3, parse(new SevenThreadsHost(), "--threads", "3").threads.count());
        assertEquals(ThreadsOption.BENCH_DEFAULT, ThreadsOption.forBenchmarks().count());
        String model = Fixtures.targetGguf().toString();
        assertEquals(2, parse(new BenchCommand(), "decode", "--model", model).threads.count());
        assertEquals(2, parse(new OffloadBenchCommand(), "--model", model).threads.count());
        assertEquals(5, parse(new BenchCommand(), "decode", "--model", model, "--threads", "5").threads.count());
        assertEquals(5, parse(new OffloadBenchCommand(), "--model", model, "--threads", "5").threads.count());
    }

    @Test
    void modelPathsGiveTheDraftTheTargetsTokenizerUnlessItHasItsOwn() {
        Path model = Path.of("t.bin"), tok = Path.of("tok.bin"), draft = Path.of("d.bin"), draftTok = Path.of("dtok.bin");
        ModelPaths plain = parse(new ModelsHost(), "-m", "t.bin").models;
        assertEquals(new ModelSpec(model, null), plain.target());
        assertNull(plain.draftOrNull());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> plain.requireDraft("optimize"));
        assertEquals("optimize needs a draft model: --draft PATH", e.getMessage());
        ModelPaths shared = parse(new ModelsHost(), "--model", "t.bin", "--tokenizer", "tok.bin", "--draft", "d.bin").models;
        assertEquals(new ModelSpec(model, tok), shared.target());
        assertEquals(new ModelSpec(draft, tok), shared.requireDraft("optimize"));
        String[] own = {"--model", "t.bin", "--tokenizer", "tok.bin", "--draft", "d.bin", "--draft-tokenizer", "dtok.bin"};
        assertEquals(new ModelSpec(draft, draftTok), parse(new ModelsHost(), own).models.draftOrNull());
        for (ModelPaths m : List.of(parse(new GenerateCommand(), own).engineOptions.models,
                parse(new ServeCommand(), own).engine.models, parse(new OptimizeCommand(), own).models)) {
            assertEquals(new ModelSpec(model, tok), m.target());
            assertEquals(new ModelSpec(draft, draftTok), m.draftOrNull());
        }
    }

    @Test
    void optimizeWithoutADraftIsAOneLineUsageError() {
        CliRun r = CliRun.of("optimize", "--model", Fixtures.targetGguf().toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("optimize needs a draft model: --draft PATH"), r.err());
    }

    @Test
    void samplingDefaultsToGreedyWithSeed42AndParsesEveryField() {
        SamplingParams greedy = parse(new Host()).sampling.params();
        assertEquals(new SamplingParams(0, 0, 1, 42), greedy);
        SamplingParams p = parse(new Host(), "-t", "0.7", "--top-p", "0.9", "--top-k", "40", "--seed", "7").sampling.params();
        assertEquals(new SamplingParams(0.7, 40, 0.9, 7), p);
        assertEquals(p, parse(new GenerateCommand(), "-m", "x.gguf", "--temperature", "0.7", "--top-p", "0.9",
                "--top-k", "40", "--seed", "7").sampling.params());
    }

    @Test
    void int8IsOffUnlessAsked() {
        assertFalse(parse(new Host()).int8.enabled);
        assertTrue(parse(new Host(), "--int8").int8.enabled);
    }

    @Test
    void offloadDefaultsToAllResidentAndParsesBudgetOverridesAndReads() {
        OffloadSettings none = parse(new Host()).offload.settings();
        assertEquals(OffloadSettings.NONE.budgetBytes(), none.budgetBytes());
        assertEquals(OffloadSettings.NONE.readers(), none.readers());
        assertEquals(OffloadSettings.NONE.chunkBytes(), none.chunkBytes());
        OffloadSettings s = parse(new Host(), "--memory-budget", "2MiB", "--resident-layers", "0,3", "--slots", "2",
                "--readers", "4", "--read-chunk", "1MiB").offload.settings();
        assertEquals(2L << 20, s.budgetBytes());
        assertEquals(Set.of(0, 3), s.overrides().residentLayers());
        assertEquals(2, s.overrides().slots());
        assertEquals(4, s.readers());
        assertEquals(1L << 20, s.chunkBytes());
        String[] flags = {"--model", "m.gguf", "--memory-budget", "2MiB", "--resident-layers", "0,3", "--slots", "2",
                "--readers", "4", "--read-chunk", "1MiB"};
        assertEquals(s, parse(new GenerateCommand(), flags).engineConfig().offload());
        assertEquals(s, parse(new OffloadBenchCommand(), flags).offload.settings());
    }

    @Test
    void benchOffloadWithoutAMemoryBudgetIsAOneLineUsageError() {
        CliRun r = CliRun.of("bench-offload", "--model", Fixtures.targetGguf().toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("bench-offload needs --memory-budget SIZE"), r.err());
    }

    @Test
    void engineOptionsBuildTheSameConfigForGenerateAndServe() {
        Path model = Fixtures.target(), tok = Fixtures.model("tok512.bin"), draft = Fixtures.model("draft-stories260K-d32.bin");
        String[] args = {"-m", model.toString(), "--tokenizer", tok.toString(), "--draft", draft.toString(),
                "--tree", "chain:3", "--budget", "8", "--depth", "4", "--threads", "2", "--context", "100",
                "--backend", "cpu", "--int8", "--memory-budget", "1MiB"};
        EngineConfig fromGenerate = parse(new GenerateCommand(), args).engineConfig();
        EngineConfig fromServe = parse(new ServeCommand(), args).engine.config();
        assertEquals(fromGenerate, fromServe);
        assertEquals(new ModelSpec(model, tok), fromGenerate.target());
        assertEquals(new ModelSpec(draft, tok), fromGenerate.draft(), "the draft's tokenizer defaults to --tokenizer");
        assertEquals("chain:3", fromGenerate.tree());
        assertEquals(8, fromGenerate.budget());
        assertEquals(4, fromGenerate.depth());
        assertEquals(2, fromGenerate.threads());
        assertEquals(100, fromGenerate.contextLength());
        assertEquals(BackendChoice.CPU, fromGenerate.backend());
        assertTrue(fromGenerate.int8Activations());
        assertEquals(1L << 20, fromGenerate.offload().budgetBytes());

        EngineConfig plain = parse(new GenerateCommand(), "-m", model.toString()).engineConfig();
        assertNull(plain.draft());
        assertEquals("none", plain.tree(), "no draft: plain decoding");
        assertEquals(0, plain.contextLength());
        assertEquals(EngineConfig.defaultThreads(), plain.threads());
        assertEquals(BackendChoice.CPU, plain.backend());
    }

    private static String[] append(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }

    /** accept names its target {@code --target} and needs a draft. */
    private static String[] rename(String[] args) {
        String[] renamed = args.clone();
        for (int i = 0; i < renamed.length; i++) if (renamed[i].equals("--model")) renamed[i] = "--target";
        return append(renamed, "--draft", renamed[1]);
    }
}
