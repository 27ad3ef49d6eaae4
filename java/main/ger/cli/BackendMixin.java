package ger.cli;

import ger.backend.Backend;
import ger.backend.Backends;
import ger.backend.cuda.CudaBackend;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** --backend and the verbosity, shared by every command that computes. */
final class BackendMixin {
    @Mixin
    Verbosity verbosity;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "NAME",
            description = "java, opencl[:PLATFORM:DEVICE], cuda[:DEVICE] or auto (cuda, else OpenCL on a GPU, else java); default ${DEFAULT-VALUE}")
    String spec;

    @Option(names = "--gemm", paramLabel = "P", description = "the cuda backend's GEMM precision: fp32 (default), "
            + "3xtf32 (TF32 tensor cores on split operands, about fp32's accuracy) or tf32 (fastest, about 1e-3 "
            + "relative error; the report's output error shows what it cost)")
    String gemm;

    Backend open() {
        if (gemm != null) {
            System.setProperty(CudaBackend.GEMM_PROPERTY, CudaBackend.GemmPrecision.parse(gemm).cliName());
        }
        return Backends.open(spec, verbosity.backendNotice());
    }
}
