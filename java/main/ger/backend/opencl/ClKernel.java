package ger.backend.opencl;

/**
 * Every kernel in kernels/opencl, by its name, with its parameter list as one letter per parameter:
 * p = a __global buffer (pass a Tensor or a cl_mem), u = ulong (Long), i = int (Integer), f = float
 * (Float). A kernel that CUDA has too carries the same name and parameter order. ClKernelTest checks
 * these against the .cl sources; {@link OpenClBackend} checks each launch's arguments against them.
 */
enum ClKernel {
    FILL("fill", "pfu"),
    SCALE("scale", "pfu"),
    AXPY("axpy", "fppu"),
    ADD_BIAS_RELU("add_bias_relu", "ppiii"),
    ADD_ROW_VECTOR("add_row_vector", "pfpii"),
    COLUMN_SUMS("column_sums", "piiip"),
    COLUMN_SUMS_FINISH("column_sums_finish", "piifp"),
    ADD_DIAGONAL("add_diagonal", "pfi"),
    RELU_BACKWARD("relu_backward", "ppu"),
    SGD_UPDATE("sgd_update", "pppfffu"),
    TRANSPOSE("transpose", "ppii"),
    GATHER_ROWS("gather_rows", "pipip"),
    TOPK_RANK("topk_rank", "pppii"),
    SQUARED_ERROR("squared_error", "ppup"),
    SQUARED_NORM("squared_norm", "pup"),
    TRACE("trace", "pip"),
    ERROR_GRADIENT("error_gradient", "ppfpup"),
    RELU_PENALTY("relu_penalty", "ppfpup"),
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

    /** The kernel's name in the program. */
    String symbol() {
        return symbol;
    }

    /** One letter per parameter (see the class comment). */
    String parameters() {
        return parameters;
    }

    /** The SGEMM kernel for op(a) op(b). */
    static ClKernel sgemm(boolean transA, boolean transB) {
        return transA ? (transB ? SGEMM_TT : SGEMM_TN) : (transB ? SGEMM_NT : SGEMM_NN);
    }
}
