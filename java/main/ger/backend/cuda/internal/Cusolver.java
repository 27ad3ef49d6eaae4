package ger.backend.cuda.internal;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static ger.backend.cuda.internal.Binder.BYTE;
import static ger.backend.cuda.internal.Binder.INT;
import static ger.backend.cuda.internal.Binder.LONG;
import static ger.backend.cuda.internal.Binder.PTR;
import static ger.backend.cuda.internal.NativeCall.call;
import static ger.backend.cuda.internal.NativeCall.outInt;
import static ger.backend.cuda.internal.NativeCall.outPointer;

/**
 * cuSOLVER dense (libcusolver.so.12 / .11), one handle bound to one stream. Column-major, as
 * cuSOLVER sees it. Each routine comes with its {@code _bufferSize} query; the caller allocates the
 * workspace and reads {@code devInfo} afterwards (0 = success, < 0 = bad argument -info, > 0 = the
 * routine's own failure). Device pointers are longs.
 */
public final class Cusolver implements AutoCloseable {
    /** cusolverEigMode_t: CUSOLVER_EIG_MODE_VECTOR. */
    public static final int EIG_MODE_VECTOR = 1;

    private static Bindings bindings;

    private record Bindings(MethodHandle create, MethodHandle destroy, MethodHandle setStream,
                            MethodHandle potrfBufferSize, MethodHandle potrf,
                            MethodHandle syevdBufferSize, MethodHandle syevd,
                            MethodHandle gesvdBufferSize, MethodHandle gesvd) {
    }

    private final Bindings b;
    private final MemorySegment handle;

    private static synchronized Bindings bindings() {
        if (bindings == null) {
            Binder x = new Binder(NativeLibraries.load(CudaLibrary.CUSOLVER));
            bindings = new Bindings(
                    x.status("cusolverDnCreate", PTR),
                    x.status("cusolverDnDestroy", PTR),
                    x.status("cusolverDnSetStream", PTR, PTR),
                    x.status("cusolverDnSpotrf_bufferSize", PTR, INT, INT, LONG, INT, PTR),
                    x.status("cusolverDnSpotrf", PTR, INT, INT, LONG, INT, LONG, INT, LONG),
                    x.status("cusolverDnSsyevd_bufferSize", PTR, INT, INT, INT, LONG, INT, LONG, PTR),
                    x.status("cusolverDnSsyevd", PTR, INT, INT, INT, LONG, INT, LONG, LONG, INT, LONG),
                    x.status("cusolverDnSgesvd_bufferSize", PTR, INT, INT, PTR),
                    x.status("cusolverDnSgesvd", PTR, BYTE, BYTE, INT, INT, LONG, INT, LONG, LONG, INT, LONG, INT,
                            LONG, INT, LONG, LONG));
        }
        return bindings;
    }

    /** Loads cuSOLVER without creating a handle (for probing). */
    public static void load() {
        bindings();
    }

    /**
     * {@code cusolverStatus_t cusolverDnCreate(cusolverDnHandle_t *handle)}, then
     * {@code cusolverDnSetStream(cusolverDnHandle_t handle, cudaStream_t streamId)}.
     */
    public Cusolver(MemorySegment stream) {
        this.b = bindings();
        handle = outPointer("cusolverDnCreate", created -> (int) b.create.invokeExact(created));
        call("cusolverDnSetStream", () -> (int) b.setStream.invokeExact(handle, stream));
    }

    /**
     * {@code cusolverStatus_t cusolverDnSpotrf_bufferSize(cusolverDnHandle_t handle,
     * cublasFillMode_t uplo, int n, float *A, int lda, int *Lwork)}: workspace floats.
     */
    public int potrfBufferSize(int uplo, int n, long a, int lda) {
        return outInt("cusolverDnSpotrf_bufferSize",
                lwork -> (int) b.potrfBufferSize.invokeExact(handle, uplo, n, a, lda, lwork));
    }

    /**
     * {@code cusolverStatus_t cusolverDnSpotrf(cusolverDnHandle_t handle, cublasFillMode_t uplo, int n,
     * float *A, int lda, float *Workspace, int Lwork, int *devInfo)}: devInfo = i > 0 when the leading
     * minor of order i is not positive definite.
     */
    public void potrf(int uplo, int n, long a, int lda, long work, int lwork, long devInfo) {
        call("cusolverDnSpotrf", () -> (int) b.potrf.invokeExact(handle, uplo, n, a, lda, work, lwork, devInfo));
    }

    /**
     * {@code cusolverStatus_t cusolverDnSsyevd_bufferSize(cusolverDnHandle_t handle,
     * cusolverEigMode_t jobz, cublasFillMode_t uplo, int n, const float *A, int lda, const float *W,
     * int *lwork)}
     */
    public int syevdBufferSize(int jobz, int uplo, int n, long a, int lda, long w) {
        return outInt("cusolverDnSsyevd_bufferSize",
                lwork -> (int) b.syevdBufferSize.invokeExact(handle, jobz, uplo, n, a, lda, w, lwork));
    }

    /**
     * {@code cusolverStatus_t cusolverDnSsyevd(cusolverDnHandle_t handle, cusolverEigMode_t jobz,
     * cublasFillMode_t uplo, int n, float *A, int lda, float *W, float *work, int lwork, int *devInfo)}:
     * eigenvalues ascending in W, eigenvectors in the columns of A.
     */
    public void syevd(int jobz, int uplo, int n, long a, int lda, long w, long work, int lwork, long devInfo) {
        call("cusolverDnSsyevd", () -> (int) b.syevd.invokeExact(handle, jobz, uplo, n, a, lda, w, work, lwork, devInfo));
    }

    /** {@code cusolverStatus_t cusolverDnSgesvd_bufferSize(cusolverDnHandle_t handle, int m, int n, int *lwork)} */
    public int gesvdBufferSize(int m, int n) {
        return outInt("cusolverDnSgesvd_bufferSize", lwork -> (int) b.gesvdBufferSize.invokeExact(handle, m, n, lwork));
    }

    /**
     * {@code cusolverStatus_t cusolverDnSgesvd(cusolverDnHandle_t handle, signed char jobu,
     * signed char jobvt, int m, int n, float *A, int lda, float *S, float *U, int ldu, float *VT,
     * int ldvt, float *work, int lwork, float *rwork, int *devInfo)}: A = U diag(S) VT with m >= n;
     * A is destroyed. rwork may be 0 (NULL).
     */
    public void gesvd(char jobu, char jobvt, int m, int n, long a, int lda, long s, long u, int ldu, long vt, int ldvt,
                      long work, int lwork, long devInfo) {
        call("cusolverDnSgesvd", () -> (int) b.gesvd.invokeExact(handle, (byte) jobu, (byte) jobvt, m, n, a, lda, s, u, ldu,
                vt, ldvt, work, lwork, 0L, devInfo));
    }

    /** {@code cusolverStatus_t cusolverDnDestroy(cusolverDnHandle_t handle)} */
    @Override
    public void close() {
        call("cusolverDnDestroy", () -> (int) b.destroy.invokeExact(handle));
    }
}
