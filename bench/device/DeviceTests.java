import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs JUnit tests on the GPU machine without Maven or the console launcher (neither is there, and
 * junit-platform-console-standalone is not in the offline cache): the JUnit Platform Launcher API.
 * One line per test (PASS / FAIL / SKIP, milliseconds, the reason), the failures' stack traces, and a
 * summary; exit status 1 when a test failed. Compiled by bench/device/pack.sh.
 *
 * <pre>
 * java ... DeviceTests [package:ger.backend.cuda | class:ger.backend.cuda.CudaBackendTest ...]
 * </pre>
 * Default: every test class under the package ger.backend.cuda.
 */
public final class DeviceTests {
    public static void main(String[] args) {
        List<DiscoverySelector> selectors = new ArrayList<>();
        for (String a : args.length == 0 ? new String[] {"package:ger.backend.cuda"} : args) {
            if (a.startsWith("class:")) {
                selectors.add(DiscoverySelectors.selectClass(a.substring(6)));
            } else if (a.startsWith("package:")) {
                selectors.add(DiscoverySelectors.selectPackage(a.substring(8)));
            } else {
                throw new IllegalArgumentException("selector must be package:NAME or class:NAME, got " + a);
            }
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, new Lines(), summary);
        TestExecutionSummary s = summary.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printFailuresTo(out, 40);
        s.printTo(out);
        System.exit(s.getTotalFailureCount() > 0 || s.getTestsFoundCount() == 0 ? 1 : 0);
    }

    /** One line per test as it ends. */
    private static final class Lines implements TestExecutionListener {
        private final Map<String, Long> started = new ConcurrentHashMap<>();

        @Override
        public void executionStarted(TestIdentifier id) {
            started.put(id.getUniqueId(), System.nanoTime());
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            System.out.println("SKIP " + id.getLegacyReportingName() + " " + where(id) + ": " + reason);
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            long ms = (System.nanoTime() - started.getOrDefault(id.getUniqueId(), System.nanoTime())) / 1_000_000;
            String reason = result.getThrowable().map(t -> ": " + t).orElse("");
            if (!id.isTest() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                return; // containers only when they fail or abort
            }
            String status = switch (result.getStatus()) {
                case SUCCESSFUL -> "PASS";
                case ABORTED -> "SKIP";
                case FAILED -> "FAIL";
            };
            System.out.println(status + " " + where(id) + " " + id.getDisplayName() + " (" + ms + " ms)" + reason);
            if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                result.getThrowable().ifPresent(t -> {
                    StringWriter trace = new StringWriter();
                    t.printStackTrace(new PrintWriter(trace));
                    trace.toString().lines().limit(25).forEach(l -> System.out.println("    " + l));
                });
            }
        }

        private static String where(TestIdentifier id) {
            return id.getSource().map(Object::toString).map(s -> s.replaceAll(".*className = '([^']*)'.*", "$1"))
                    .orElse(id.getUniqueId());
        }
    }
}
