package ger.backend.cuda;

/** The conformance suite with 3xTF32 GEMMs, at the fp32 suite's tolerance: the split keeps fp32's accuracy. */
class CudaBackendTf32x3ConformanceTest extends CudaBackendConformanceTest {
    @Override
    CudaBackend.GemmPrecision precision() {
        return CudaBackend.GemmPrecision.TF32X3;
    }
}
