package ger.backend.java;

import ger.backend.Backend;
import ger.backend.BackendConformance;

/** The conformance suite on the pure-Java reference backend. */
class JavaBackendConformanceTest extends BackendConformance {
    private final JavaBackend backend = new JavaBackend();

    @Override
    public Backend backend() {
        return backend;
    }
}
