package ger.backend.cuda;

import ger.backend.cuda.internal.CudaLibrary;
import ger.backend.kernel.Kernel;
import ger.backend.kernel.KernelSources;
import ger.backend.cuda.internal.NativeLibraries;
import ger.backend.cuda.internal.Nvrtc;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run-time compile path: NVRTC builds every packaged kernel (needs libnvrtc, not a GPU). */
class NvrtcCompileTest {
    @Test
    void packagedSourcesCompileToPtxWithEveryKernel() {
        Assumptions.assumeTrue(NativeLibraries.loadOptional(CudaLibrary.NVRTC).isPresent(), "no libnvrtc");
        List<String> options = new ArrayList<>(KernelSources.CUDA_OPTIONS);
        options.add("--gpu-architecture=compute_80");
        byte[] ptx = Nvrtc.get().compileToPtx("ger_kernels.cu", KernelSources.cudaUnit(), KernelSources.headers(), options);
        assertTrue(ptx[ptx.length - 1] == 0, "PTX for cuModuleLoadData must end in NUL");
        String text = new String(ptx, 0, ptx.length - 1, StandardCharsets.US_ASCII);
        for (Kernel k : Kernel.values()) {
            assertTrue(text.contains(".entry " + k.symbol() + "("), "PTX lacks " + k.symbol());
        }
    }

    @Test
    void compileErrorsCarryTheLog() {
        Assumptions.assumeTrue(NativeLibraries.loadOptional(CudaLibrary.NVRTC).isPresent(), "no libnvrtc");
        CudaException e = assertThrows(CudaException.class, () -> Nvrtc.get().compileToPtx("broken.cu",
                "extern \"C\" __global__ void broken(float* x) { x[0] = undeclared_name; }", Map.of(),
                List.of("--gpu-architecture=compute_80")));
        assertTrue(e.getMessage().contains("NVRTC_ERROR_COMPILATION") && e.getMessage().contains("undeclared_name"), e.getMessage());
    }
}
