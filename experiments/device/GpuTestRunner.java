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
import java.util.List;
import java.util.Set;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

/**
 * Runs the CUDA test packages on the device machine without Maven (compiled by prepare.sh): prints the JUnit
 * summary, names every aborted (skipped) test with its reason, and exits non-zero on any failure or on any
 * abort but the expected ones. gpu-check.sh sets SEQUOIA_REQUIRE_CUDA=1, so a GPU test's skip is a failure.
 */
public final class GpuTestRunner {
    /** Tests of the no-driver contract: on a machine with a driver they abort by design. */
    private static final Set<String> EXPECTED_ABORTS = Set.of("NoDriverTest.withoutADriverACallNamesTheLibraryAndTheReason");

    public static void main(String[] args) {
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request();
        for (String pkg : args) b.selectors(selectPackage(pkg));
        // The header shape check belongs to the build machine (it reads the toolkit's headers, which a device
        // image may lack, and needs no GPU); every other test of these packages runs here.
        b.filters(ClassNameFilter.excludeClassNamePatterns(".*\\.BindingShapeTest"));
        LauncherDiscoveryRequest request = b.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        List<String> unexpectedAborts = new ArrayList<>();
        PrintWriter out = new PrintWriter(System.out, true);
        TestExecutionListener aborts = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (result.getStatus() != TestExecutionResult.Status.ABORTED) return;
                String shortName = id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                        .map(m -> m.getJavaClass().getSimpleName() + "." + m.getMethodName()).orElse(id.getDisplayName());
                String why = result.getThrowable().map(Throwable::getMessage).orElse("no reason given");
                boolean expected = EXPECTED_ABORTS.contains(shortName);
                out.println((expected ? "aborted as expected: " : "ABORTED: ") + shortName + ": " + why);
                if (!expected) unexpectedAborts.add(shortName);
            }
        };
        launcher.execute(request, summary, aborts);
        summary.getSummary().printTo(out);
        summary.getSummary().printFailuresTo(out, 30);
        long bad = summary.getSummary().getTotalFailureCount() + unexpectedAborts.size();
        if (summary.getSummary().getTestsFoundCount() == 0) {
            out.println("GpuTestRunner: no test found in " + String.join(", ", args) + ": the run proves nothing");
            System.exit(1);
        }
        System.exit(bad == 0 ? 0 : 1);
    }
}
