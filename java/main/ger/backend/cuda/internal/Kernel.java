package ger.backend.cuda.internal;

/**
 * Every kernel in kernels/cuda, by its extern "C" name, with its parameter list as one letter per
 * parameter: p = device pointer (pass a Long address), u = unsigned long long (Long), i = int
 * (Integer), f = float (Float). KernelSourcesTest checks these against the .cu sources.
 */
public enum Kernel {
    SUM_PARTIALS("sum_partials", "pipi"),
    SQUARED_ERROR("squared_error", "ppup"),
    SQUARED_NORM("squared_norm", "pup"),
    ERROR_GRADIENT("error_gradient", "ppfpup"),
    RELU_PENALTY("relu_penalty", "ppfpup"),
    AXPY("axpy", "fppu"),
    SCALE("scale", "pfu"),
    RELU_BACKWARD("relu_backward", "ppu"),
    SGD_UPDATE("sgd_update", "pppfffu"),
    TF32_SPLIT("tf32_split", "pppu"),
    ADD_BIAS_RELU("add_bias_relu", "ppiii"),
    ADD_ROW_VECTOR("add_row_vector", "pfpii"),
    COLUMN_SUMS("column_sums", "piiip"),
    COLUMN_SUMS_FINISH("column_sums_finish", "piifp"),
    TRANSPOSE("transpose", "piip"),
    GATHER_ROWS("gather_rows", "pipip"),
    COPY_BLOCK("copy_block", "pipiii"),
    EIGVECS_TOP_K("eigvecs_top_k", "piip"),
    MIRROR_UPPER_TO_LOWER("mirror_upper_to_lower", "pi"),
    ZERO_UPPER("zero_upper", "pi"),
    ADD_DIAGONAL("add_diagonal", "pif"),
    TRACE("trace", "pip"),
    TOPK_RANK("topk_rank", "piipp");

    private final String symbol;
    private final String parameters;

    Kernel(String symbol, String parameters) {
        this.symbol = symbol;
        this.parameters = parameters;
    }

    /** The extern "C" name in the module. */
    public String symbol() {
        return symbol;
    }

    /** One letter per parameter (see the class comment). */
    public String parameters() {
        return parameters;
    }
}
