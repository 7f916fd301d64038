import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

/**
 * Runs the CUDA test packages on the device machine without Maven (compiled by prepare.sh): prints the JUnit
 * summary, names every aborted or skipped test with its reason, and exits non-zero on any failure, on any
 * abort but the expected ones, on any skipped (disabled) test when SEQUOIA_REQUIRE_CUDA=1 (gpu-check.sh sets
 * it, so a GPU test that does not run is a failure), and when a package did not run exactly the number of
 * tests it is expected to have.
 *
 * <p>Arguments: {@code package=count ...}, e.g. {@code dev.sequoia.cuda=13}: each package (with its
 * subpackages) and how many tests must succeed or abort as expected in it. Adding or removing a GPU test
 * means changing its count in gpu-check.sh: a class that is silently no longer found is caught here.
 */
public final class GpuTestRunner {
    /** Tests of the no-driver contract: on a machine with a driver they abort by design. */
    private static final Set<String> EXPECTED_ABORTS = Set.of("NoDriverTest.withoutADriverACallNamesTheLibraryAndTheReason");

    public static void main(String[] args) {
        Map<String, Integer> expected = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0) {
                System.err.println("GpuTestRunner: argument '" + arg + "' must be package=expected test count");
                System.exit(2);
            }
            expected.put(arg.substring(0, eq), Integer.parseInt(arg.substring(eq + 1)));
        }
        boolean requireCuda = "1".equals(System.getenv("SEQUOIA_REQUIRE_CUDA"));
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request();
        for (String pkg : expected.keySet()) b.selectors(selectPackage(pkg));
        // The header shape check belongs to the build machine (it reads the toolkit's headers, which a device
        // image may lack, and needs no GPU); every other test of these packages runs here.
        b.filters(ClassNameFilter.excludeClassNamePatterns(".*\\.BindingShapeTest"));
        LauncherDiscoveryRequest request = b.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        List<String> problems = new ArrayList<>();
        Map<String, Integer> ran = new LinkedHashMap<>();
        expected.keySet().forEach(p -> ran.put(p, 0));
        PrintWriter out = new PrintWriter(System.out, true);
        TestExecutionListener verdicts = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                // @Disabled or a condition switched it off: on the device every GPU test must run
                out.println((requireCuda ? "SKIPPED: " : "skipped: ") + shortName(id) + ": " + reason);
                if (requireCuda) problems.add("skipped " + shortName(id) + " (" + reason + ")");
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) return;
                String name = shortName(id);
                switch (result.getStatus()) {
                    case SUCCESSFUL -> count(id);
                    case FAILED -> { } // the summary reports it
                    case ABORTED -> {
                        String why = result.getThrowable().map(Throwable::getMessage).orElse("no reason given");
                        boolean fine = EXPECTED_ABORTS.contains(name);
                        out.println((fine ? "aborted as expected: " : "ABORTED: ") + name + ": " + why);
                        if (fine) count(id);
                        else problems.add("aborted " + name + " (" + why + ")");
                    }
                }
            }

            private void count(TestIdentifier id) {
                String cls = id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                        .map(MethodSource::getClassName).orElse("");
                String pkg = null;
                for (String p : expected.keySet())
                    if (cls.startsWith(p + ".") && (pkg == null || p.length() > pkg.length())) pkg = p;
                if (pkg != null) ran.merge(pkg, 1, Integer::sum);
            }
        };
        launcher.execute(request, summary, verdicts);
        summary.getSummary().printTo(out);
        summary.getSummary().printFailuresTo(out, 30);
        if (summary.getSummary().getTotalFailureCount() > 0)
            problems.add(summary.getSummary().getTotalFailureCount() + " failed test(s) or container(s)");
        expected.forEach((pkg, want) -> {
            int got = ran.get(pkg);
            out.println("GpuTestRunner: " + pkg + ": " + got + " test(s) passed, " + want + " expected");
            if (got != want) problems.add(pkg + " passed " + got + " test(s), expected " + want);
        });
        problems.forEach(p -> out.println("GpuTestRunner FAILED: " + p));
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    private static String shortName(TestIdentifier id) {
        return id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                .map(m -> m.getJavaClass().getSimpleName() + "." + m.getMethodName()).orElse(id.getDisplayName());
    }
}
