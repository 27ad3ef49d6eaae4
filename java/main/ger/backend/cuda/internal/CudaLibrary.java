package ger.backend.cuda.internal;

import java.util.List;

/** The shared libraries the CUDA backend binds, each with the sonames tried in order (newest first). */
public enum CudaLibrary {
    DRIVER("the CUDA driver", "libcuda.so.1"),
    CUBLAS_LT("cuBLASLt", "libcublasLt.so.13", "libcublasLt.so.12"),
    CUBLAS("cuBLAS", "libcublas.so.13", "libcublas.so.12"),
    CUSOLVER("cuSOLVER", "libcusolver.so.12", "libcusolver.so.11"),
    NVRTC("NVRTC", "libnvrtc.so.13", "libnvrtc.so.12"),
    NVTX("NVTX", "libnvtx3interop.so.1");

    private final String title;
    private final List<String> sonames;

    CudaLibrary(String title, String... sonames) {
        this.title = title;
        this.sonames = List.of(sonames);
    }

    public String title() {
        return title;
    }

    public List<String> sonames() {
        return sonames;
    }
}
