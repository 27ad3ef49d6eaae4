package ger.backend.opencl;

import ger.backend.Backend;
import ger.backend.BackendConformance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/** The conformance suite on the OpenCL backend's default device; skipped where OpenCL is missing. */
class OpenClBackendConformanceTest extends BackendConformance {
    private OpenClBackend backend;

    @BeforeAll
    void open() {
        OpenClBackend.Probe probe = OpenClBackend.probe();
        Assumptions.assumeTrue(probe.available(), probe.detail());
        backend = new OpenClBackend();
    }

    @Override
    protected Backend backend() {
        return backend;
    }

    @AfterAll
    void close() {
        if (backend != null) {
            backend.close();
        }
    }
}
