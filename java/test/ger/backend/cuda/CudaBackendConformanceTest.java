package ger.backend.cuda;

import ger.backend.Backend;
import ger.backend.BackendConformance;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/** The conformance suite on the CUDA backend, float32 GEMMs. Skipped where no GPU or CUDA library is usable. */
class CudaBackendConformanceTest extends BackendConformance {
    private CudaBackend backend;

    CudaBackend.GemmPrecision precision() {
        return CudaBackend.GemmPrecision.FP32;
    }

    @BeforeAll
    void open() {
        if (CudaBackend.available()) {
            backend = new CudaBackend(0, precision());
            System.out.println("conformance on " + backend);
        }
    }

    /** Per test, so that each one reports as skipped (with the reason) where CUDA is missing. */
    @BeforeEach
    void requireGpu() {
        Assumptions.assumeTrue(backend != null, CudaBackend.probe().detail());
    }

    @Override
    public Backend backend() {
        return backend;
    }
}
