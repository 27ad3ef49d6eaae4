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

    @Option(names = "--tf32", description = "let cuBLAS use TF32 tensor cores on the cuda backend (faster GEMMs, "
            + "about 1e-3 relative error; the report's output error shows what it cost)")
    boolean tf32;

    Backend open() {
        if (tf32) {
            System.setProperty(CudaBackend.TF32_PROPERTY, "true");
        }
        return Backends.open(spec, verbosity.backendNotice());
    }
}
