package ger.backend.cuda.internal;

import ger.backend.cuda.CudaException;

import java.util.Map;

/**
 * The one place that checks status codes. Every binding passes its call's return value and the
 * exported symbol name here; the library is told by the name's prefix (cublas..., cusolver...,
 * nvrtc..., otherwise the driver's cu...), and the message names the call and the status, e.g.
 * {@code cublasSgemm_v2 failed: CUBLAS_STATUS_EXECUTION_FAILED (13)}.
 */
public final class Status {
    private Status() {
    }

    /** CUresult (cuda.h). */
    private static final Map<Integer, String> DRIVER = Map.ofEntries(
            Map.entry(1, "CUDA_ERROR_INVALID_VALUE"), Map.entry(2, "CUDA_ERROR_OUT_OF_MEMORY"),
            Map.entry(3, "CUDA_ERROR_NOT_INITIALIZED"), Map.entry(4, "CUDA_ERROR_DEINITIALIZED"),
            Map.entry(34, "CUDA_ERROR_STUB_LIBRARY"), Map.entry(35, "CUDA_ERROR_INSUFFICIENT_DRIVER"),
            Map.entry(46, "CUDA_ERROR_DEVICE_UNAVAILABLE"), Map.entry(100, "CUDA_ERROR_NO_DEVICE"),
            Map.entry(101, "CUDA_ERROR_INVALID_DEVICE"), Map.entry(200, "CUDA_ERROR_INVALID_IMAGE"),
            Map.entry(201, "CUDA_ERROR_INVALID_CONTEXT"), Map.entry(209, "CUDA_ERROR_NO_BINARY_FOR_GPU"),
            Map.entry(218, "CUDA_ERROR_INVALID_PTX"), Map.entry(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"),
            Map.entry(300, "CUDA_ERROR_INVALID_SOURCE"), Map.entry(400, "CUDA_ERROR_INVALID_HANDLE"),
            Map.entry(500, "CUDA_ERROR_NOT_FOUND"), Map.entry(600, "CUDA_ERROR_NOT_READY"),
            Map.entry(700, "CUDA_ERROR_ILLEGAL_ADDRESS"), Map.entry(701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"),
            Map.entry(702, "CUDA_ERROR_LAUNCH_TIMEOUT"), Map.entry(719, "CUDA_ERROR_LAUNCH_FAILED"),
            Map.entry(999, "CUDA_ERROR_UNKNOWN"));

    /** cublasStatus_t (cublas_api.h). */
    private static final Map<Integer, String> CUBLAS = Map.of(
            1, "CUBLAS_STATUS_NOT_INITIALIZED", 3, "CUBLAS_STATUS_ALLOC_FAILED", 7, "CUBLAS_STATUS_INVALID_VALUE",
            8, "CUBLAS_STATUS_ARCH_MISMATCH", 11, "CUBLAS_STATUS_MAPPING_ERROR", 13, "CUBLAS_STATUS_EXECUTION_FAILED",
            14, "CUBLAS_STATUS_INTERNAL_ERROR", 15, "CUBLAS_STATUS_NOT_SUPPORTED", 16, "CUBLAS_STATUS_LICENSE_ERROR");

    /** cusolverStatus_t (cusolver_common.h). */
    private static final Map<Integer, String> CUSOLVER = Map.of(
            1, "CUSOLVER_STATUS_NOT_INITIALIZED", 2, "CUSOLVER_STATUS_ALLOC_FAILED", 3, "CUSOLVER_STATUS_INVALID_VALUE",
            4, "CUSOLVER_STATUS_ARCH_MISMATCH", 5, "CUSOLVER_STATUS_MAPPING_ERROR", 6, "CUSOLVER_STATUS_EXECUTION_FAILED",
            7, "CUSOLVER_STATUS_INTERNAL_ERROR", 8, "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED",
            9, "CUSOLVER_STATUS_NOT_SUPPORTED", 10, "CUSOLVER_STATUS_ZERO_PIVOT");

    /** nvrtcResult (nvrtc.h). */
    private static final Map<Integer, String> NVRTC = Map.of(
            1, "NVRTC_ERROR_OUT_OF_MEMORY", 2, "NVRTC_ERROR_PROGRAM_CREATION_FAILURE", 3, "NVRTC_ERROR_INVALID_INPUT",
            4, "NVRTC_ERROR_INVALID_PROGRAM", 5, "NVRTC_ERROR_INVALID_OPTION", 6, "NVRTC_ERROR_COMPILATION",
            7, "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE", 11, "NVRTC_ERROR_INTERNAL_ERROR");

    /** Throws a {@link CudaException} naming {@code call} and the status unless status is 0 (success). */
    public static void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(message(status, call));
        }
    }

    /** "call failed: NAME (status)". */
    public static String message(int status, String call) {
        return call + " failed: " + name(status, call) + " (" + status + ")";
    }

    /** The symbolic name of a status returned by {@code call}, by the library its name belongs to. */
    public static String name(int status, String call) {
        if (status == 0) {
            return "SUCCESS";
        }
        Map<Integer, String> names;
        if (call.startsWith("cublas")) {
            names = CUBLAS;
        } else if (call.startsWith("cusolver")) {
            names = CUSOLVER;
        } else if (call.startsWith("nvrtc")) {
            names = NVRTC;
        } else {
            names = DRIVER;
        }
        return names.getOrDefault(status, "unknown status");
    }
}
