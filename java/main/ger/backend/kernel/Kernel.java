package ger.backend.kernel;

/**
 * Every portable kernel (kernels/portable, compiled as CUDA and as OpenCL C) by its name, with its
 * parameters as {@link KernelSignature} letters; both device backends launch them with the same
 * arguments in the same order. KernelSourcesTest checks the table against the sources.
 */
public enum Kernel implements KernelSignature {
    // elementwise.h
    AXPY("axpy", "fppu"),
    SCALE("scale", "pfu"),
    RELU_BACKWARD("relu_backward", "ppu"),
    SGD_UPDATE("sgd_update", "pppfffu"),
    // layout.h
    TRANSPOSE("transpose", "piip"),
    GATHER_ROWS("gather_rows", "pipip"),
    COPY_BLOCK("copy_block", "pipiii"),
    EIGVECS_TOP_K("eigvecs_top_k", "piip"),
    // reductions.h
    SUM_PARTIALS("sum_partials", "pipi"),
    SQUARED_ERROR("squared_error", "ppup"),
    SQUARED_NORM("squared_norm", "pup"),
    ERROR_GRADIENT("error_gradient", "ppfpup"),
    // relu_penalty.h
    RELU_PENALTY("relu_penalty", "ppfpup"),
    // row_vector.h
    ADD_BIAS_RELU("add_bias_relu", "ppiii"),
    ADD_ROW_VECTOR("add_row_vector", "pfpii"),
    COLUMN_SUMS("column_sums", "piiip"),
    COLUMN_SUMS_FINISH("column_sums_finish", "piifp"),
    // tf32_split.h
    TF32_SPLIT("tf32_split", "pppu"),
    // topk.h
    TOPK_RANK("topk_rank", "piipp"),
    // triangle.h
    MIRROR_UPPER_TO_LOWER("mirror_upper_to_lower", "pi"),
    ZERO_UPPER("zero_upper", "pi"),
    ADD_DIAGONAL("add_diagonal", "pif"),
    TRACE("trace", "pip");

    private final String symbol;
    private final String parameters;

    Kernel(String symbol, String parameters) {
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
}
