package ger.backend.java;

import ger.backend.Backend;
import ger.backend.BackendConformance;
import org.junit.jupiter.api.AfterAll;

/** The conformance suite on the pure-Java reference backend. */
class JavaBackendConformanceTest extends BackendConformance {
    private final JavaBackend backend = new JavaBackend();

    @Override
    protected Backend backend() {
        return backend;
    }

    @AfterAll
    void close() {
        backend.close();
    }
}
