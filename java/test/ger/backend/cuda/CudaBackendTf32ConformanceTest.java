package ger.backend.cuda;

/** The conformance suite with TF32 tensor-core GEMMs: 10 mantissa bits, so a looser tolerance. */
class CudaBackendTf32ConformanceTest extends CudaBackendConformanceTest {
    @Override
    CudaBackend.GemmPrecision precision() {
        return CudaBackend.GemmPrecision.TF32;
    }

    @Override
    public double tolerance() {
        return 1e-2;
    }
}
