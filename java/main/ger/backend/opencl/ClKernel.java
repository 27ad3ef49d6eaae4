package ger.backend.opencl;

import ger.backend.kernel.KernelSignature;

/**
 * The OpenCL-only kernels: the tiled SGEMM of kernels/opencl/sgemm.cl, one per transpose case (the
 * CUDA backend has cuBLAS). Every other kernel is a portable {@link ger.backend.kernel.Kernel}.
 * ClKernelTest checks the letters against the source.
 */
enum ClKernel implements KernelSignature {
    SGEMM_NN("sgemm_nn", "iiifppfp"),
    SGEMM_NT("sgemm_nt", "iiifppfp"),
    SGEMM_TN("sgemm_tn", "iiifppfp"),
    SGEMM_TT("sgemm_tt", "iiifppfp");

    private final String symbol;
    private final String parameters;

    ClKernel(String symbol, String parameters) {
        this.symbol = symbol;
        this.parameters = parameters;
    }

    @Override
    public String symbol() {
        return symbol;
    }

    @Override
    public String parameters() {
        return parameters;
    }

    /** The SGEMM kernel for op(a) op(b). */
    static ClKernel sgemm(boolean transA, boolean transB) {
        return transA ? (transB ? SGEMM_TT : SGEMM_TN) : (transB ? SGEMM_NT : SGEMM_NN);
    }
}
