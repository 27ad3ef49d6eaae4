package ger.backend.cuda.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static ger.backend.cuda.internal.Binder.FLOAT;
import static ger.backend.cuda.internal.Binder.INT;
import static ger.backend.cuda.internal.Binder.LONG;
import static ger.backend.cuda.internal.Binder.PTR;
import static ger.backend.cuda.internal.NativeCall.call;
import static ger.backend.cuda.internal.NativeCall.outPointer;

/**
 * cuBLAS (libcublas.so.13 / .12), one handle bound to one stream. Matrices are column-major here, as
 * cuBLAS sees them; {@link ColumnMajor} maps ger's row-major operations onto these calls. Device
 * pointers are passed as longs (same ABI as {@code float*}); alpha and beta are host pointers
 * (CUBLAS_POINTER_MODE_HOST, the default).
 */
public final class Cublas implements AutoCloseable {
    /** cublasMath_t. */
    public static final int DEFAULT_MATH = 0;
    public static final int TF32_TENSOR_OP_MATH = 3;

    private static Bindings bindings;
    private final int defaultMath;

    private record Bindings(MethodHandle create, MethodHandle destroy, MethodHandle setStream, MethodHandle setMathMode,
                            MethodHandle sgemm, MethodHandle ssyrk, MethodHandle strsm) {
    }

    private final Bindings b;
    private final MemorySegment handle;

    private static synchronized Bindings bindings() {
        if (bindings == null) {
            // libcublas needs libcublasLt: open it first so a -Dger.cuda.libs folder serves both
            NativeLibraries.loadOptional(CudaLibrary.CUBLAS_LT);
            Binder x = new Binder(NativeLibraries.load(CudaLibrary.CUBLAS));
            bindings = new Bindings(
                    x.status("cublasCreate_v2", PTR),
                    x.status("cublasDestroy_v2", PTR),
                    x.status("cublasSetStream_v2", PTR, PTR),
                    x.status("cublasSetMathMode", PTR, INT),
                    x.status("cublasSgemm_v2", PTR, INT, INT, INT, INT, INT, PTR, LONG, INT, LONG, INT, PTR, LONG, INT),
                    x.status("cublasSsyrk_v2", PTR, INT, INT, INT, INT, PTR, LONG, INT, PTR, LONG, INT),
                    x.status("cublasStrsm_v2", PTR, INT, INT, INT, INT, INT, INT, PTR, LONG, INT, LONG, INT));
        }
        return bindings;
    }

    /** Loads cuBLAS without creating a handle (for probing). */
    public static void load() {
        bindings();
    }

    /**
     * {@code cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)}, then
     * {@code cublasSetStream_v2(cublasHandle_t, cudaStream_t)} and
     * {@code cublasSetMathMode(cublasHandle_t, cublasMath_t)}.
     */
    public Cublas(MemorySegment stream, boolean tf32) {
        this.defaultMath = tf32 ? TF32_TENSOR_OP_MATH : DEFAULT_MATH;
        this.b = bindings();
        handle = outPointer("cublasCreate_v2", created -> (int) b.create.invokeExact(created));
        call("cublasSetStream_v2", () -> (int) b.setStream.invokeExact(handle, stream));
        call("cublasSetMathMode", () -> (int) b.setMathMode.invokeExact(handle, defaultMath));
    }

    /**
     * {@code cublasSetMathMode}: TF32 tensor cores for the calls that follow when {@code on}, else the
     * handle's own mode back (3xTF32 turns them on around its three products only, so that SYRK and
     * TRSM stay fp32).
     */
    public void tensorCores(boolean on) {
        call("cublasSetMathMode", () -> (int) b.setMathMode.invokeExact(handle, on ? TF32_TENSOR_OP_MATH : defaultMath));
    }

    /**
     * {@code cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa,
     * cublasOperation_t transb, int m, int n, int k, const float *alpha, const float *A, int lda,
     * const float *B, int ldb, const float *beta, float *C, int ldc)}: C = alpha op(A) op(B) + beta C.
     */
    public void sgemm(ColumnMajor.Gemm g, float alpha, long a, long b, float beta, long c) {
        try (Arena arena = Arena.ofConfined()) {
            call("cublasSgemm_v2", () -> (int) this.b.sgemm.invokeExact(handle, g.transa(), g.transb(), g.m(), g.n(), g.k(),
                    arena.allocateFrom(FLOAT, alpha), a, g.lda(), b, g.ldb(), arena.allocateFrom(FLOAT, beta), c, g.ldc()));
        }
    }

    /**
     * {@code cublasStatus_t cublasSsyrk_v2(cublasHandle_t handle, cublasFillMode_t uplo,
     * cublasOperation_t trans, int n, int k, const float *alpha, const float *A, int lda,
     * const float *beta, float *C, int ldc)}: C = alpha op(A) op(A)^T + beta C, one triangle of C.
     */
    public void ssyrk(int uplo, int trans, int n, int k, float alpha, long a, int lda, float beta, long c, int ldc) {
        try (Arena arena = Arena.ofConfined()) {
            call("cublasSsyrk_v2", () -> (int) b.ssyrk.invokeExact(handle, uplo, trans, n, k,
                    arena.allocateFrom(FLOAT, alpha), a, lda, arena.allocateFrom(FLOAT, beta), c, ldc));
        }
    }

    /**
     * {@code cublasStatus_t cublasStrsm_v2(cublasHandle_t handle, cublasSideMode_t side,
     * cublasFillMode_t uplo, cublasOperation_t trans, cublasDiagType_t diag, int m, int n,
     * const float *alpha, const float *A, int lda, float *B, int ldb)}: B = alpha op(A)^-1 B (left)
     * or alpha B op(A)^-1 (right), in place.
     */
    public void strsm(ColumnMajor.Trsm t, float alpha, long a, long bMatrix) {
        try (Arena arena = Arena.ofConfined()) {
            call("cublasStrsm_v2", () -> (int) b.strsm.invokeExact(handle, t.side(), t.uplo(), t.trans(), t.diag(),
                    t.m(), t.n(), arena.allocateFrom(FLOAT, alpha), a, t.lda(), bMatrix, t.ldb()));
        }
    }

    /** {@code cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)} */
    @Override
    public void close() {
        call("cublasDestroy_v2", () -> (int) b.destroy.invokeExact(handle));
    }
}
