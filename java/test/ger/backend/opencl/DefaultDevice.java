package ger.backend.opencl;

import org.junit.jupiter.api.Assumptions;

/** The OpenCL backend on the default device, for the test classes that run on it. */
final class DefaultDevice {

    private DefaultDevice() {
    }

    /** Opens it; where OpenCL is missing, aborts the caller (a {@code @BeforeAll}: its class is skipped, with the probe's reason). */
    static OpenClBackend openOrSkip() {
        var probe = OpenClBackend.probe();
        Assumptions.assumeTrue(probe.available(), probe.detail());
        return new OpenClBackend();
    }
}
