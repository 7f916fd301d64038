import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

import java.io.PrintWriter;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

/**
 * Runs the CUDA test packages on the device machine without Maven (compiled by prepare.sh): prints the JUnit
 * summary and exits non-zero on any failure. gpu-check.sh sets SEQUOIA_REQUIRE_CUDA=1, so a skip is a failure.
 */
public final class GpuTestRunner {
    public static void main(String[] args) {
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request();
        for (String pkg : args) b.selectors(selectPackage(pkg));
        // The header shape check belongs to the build machine (it reads the toolkit's headers, which a device
        // image may lack, and needs no GPU); every other test of these packages runs here.
        b.filters(ClassNameFilter.excludeClassNamePatterns(".*\\.BindingShapeTest"));
        LauncherDiscoveryRequest request = b.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        PrintWriter out = new PrintWriter(System.out, true);
        summary.getSummary().printTo(out);
        summary.getSummary().printFailuresTo(out, 30);
        long bad = summary.getSummary().getTotalFailureCount() + summary.getSummary().getTestsAbortedCount();
        if (summary.getSummary().getTestsFoundCount() == 0) {
            out.println("GpuTestRunner: no test found in " + String.join(", ", args) + ": the run proves nothing");
            System.exit(1);
        }
        System.exit(bad == 0 ? 0 : 1);
    }
}
