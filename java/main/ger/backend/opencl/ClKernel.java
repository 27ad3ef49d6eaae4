package ger.backend.opencl;

import ger.backend.kernel.KernelSignature;

import java.util.List;

/**
 * The OpenCL-only kernels: the tiled SGEMM of kernels/opencl/sgemm.cl, one per transpose case (the
 * CUDA backend has cuBLAS). Every other kernel is a portable {@link ger.backend.kernel.Kernel}.
 * ClKernelTest checks the letters against the source.
 */
record ClKernel(String symbol, String parameters) implements KernelSignature {
    static final ClKernel SGEMM_NN = new ClKernel("sgemm_nn", "iiifppfp");
    static final ClKernel SGEMM_NT = new ClKernel("sgemm_nt", "iiifppfp");
    static final ClKernel SGEMM_TN = new ClKernel("sgemm_tn", "iiifppfp");
    static final ClKernel SGEMM_TT = new ClKernel("sgemm_tt", "iiifppfp");
    static final List<ClKernel> ALL = List.of(SGEMM_NN, SGEMM_NT, SGEMM_TN, SGEMM_TT);

    /** The SGEMM kernel for op(a) op(b). */
    static ClKernel sgemm(boolean transA, boolean transB) {
        return transA ? (transB ? SGEMM_TT : SGEMM_TN) : (transB ? SGEMM_NT : SGEMM_NN);
    }
}
