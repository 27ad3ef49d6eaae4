package ger.backend.cuda;

/** The conformance suite with TF32 tensor-core GEMMs: 10 mantissa bits, so a looser tolerance. */
class CudaBackendTf32ConformanceTest extends CudaBackendConformanceTest {
    @Override
    boolean tf32() {
        return true;
    }

    @Override
    protected double tolerance() {
        return 1e-2;
    }
}
