package ger.backend;

import ger.tensor.Matrix;
import ger.tensor.Tensor;

/**
 * The seam between the methods (what GER computes) and the machines that compute it. Every method
 * is written once against this interface; the java, opencl and cuda backends each implement all of
 * it. Nothing here is specific to one method.
 *
 * <p>Conventions: every {@link Tensor} is float32, row-major, {@code rows x cols}; a data matrix has
 * one sample per row ({@code n x d}); a weight matrix is PyTorch's {@code out x in}. Outputs are
 * passed in, already allocated with the right shape, and every element of an output is written
 * (callers may pass uninitialised memory), unless the operation says it accumulates. Shapes are
 * checked on entry with {@link Shapes}. An output must not alias an input unless the operation
 * says it works in place.
 */
public interface Backend extends AutoCloseable {

    /** "java", "opencl" or "cuda". */
    String name();

    /** The device it runs on, in words (for reports and logs). */
    String device();

    // ---------------------------------------------------------------- memory

    /**
     * Bytes that can still be allocated on the device (CUDA: the driver's free memory; OpenCL: the
     * device's global memory less this backend's tensors); {@link Long#MAX_VALUE} where the device is
     * the host (java). The methods use it to decide whether the calibration rows fit or must stream.
     */
    default long freeMemory() {
        return Long.MAX_VALUE;
    }

    // ---------------------------------------------------------------- cost model

    /**
     * The rate of a thin GEMM (an output a few tens of columns wide against a long reduction) as a
     * fraction of a large square one on this backend, for the methods' cost models that choose
     * between two forms of a computation from its shapes alone (never by timing, so that the same
     * inputs give the same result on a loaded machine). 1 where it has not been measured.
     */
    default double thinGemmEfficiency() {
        return 1.0;
    }

    /** A rows x cols tensor with undefined contents. */
    Tensor allocate(int rows, int cols);

    /** A copy of a host matrix on this backend. */
    Tensor upload(Matrix host);

    /**
     * dst(dstRow + i, :) = host(srcRow + i, :) for i in [0, count): host rows into an existing tensor
     * (streamed calibration chunks, training batches), no allocation.
     */
    void uploadRows(Matrix src, int srcRow, Tensor dst, int dstRow, int count);

    /** dst(dstRow + i, :) = src(srcRow + i, :) for i in [0, count), into a host matrix; returns when the rows are there. */
    void downloadRows(Tensor src, int srcRow, Matrix dst, int dstRow, int count);

    /** Copies {@code src} into the host matrix {@code dst} of the same shape. */
    default void download(Tensor src, Matrix dst) {
        Shapes.same("download", src, dst);
        downloadRows(src, 0, dst, 0, src.rows());
    }

    /** A new host copy of {@code src}. */
    default Matrix download(Tensor src) {
        Matrix m = Matrix.zeros(src.rows(), src.cols());
        download(src, m);
        return m;
    }

    /** dst(dstRow + i, :) = src(srcRow + i, :) for i in [0, count); both have the same cols. */
    void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count);

    /** dst(i, :) = src(rows[i], :); dst is rows.length x src.cols (minibatches of shuffled rows). */
    void gatherRows(Tensor src, int[] rows, Tensor dst);

    /** dst = src^T; src r x c, dst c x r. */
    void transpose(Tensor src, Tensor dst);

    /** Every element of t set to {@code value}. */
    void fill(Tensor t, float value);

    // ---------------------------------------------------------------- BLAS

    /**
     * c = alpha op(a) op(b) + beta c, op(x) = x or x^T; op(a) m x k, op(b) k x n, c m x n.
     * With beta = 0, c's old contents are ignored (NaN in c does not leak through).
     */
    void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /**
     * The Gram matrix c = x^T x + beta c; x n x d, c d x d, both triangles written. When beta != 0, c
     * must be symmetric (a backend may read one triangle of it).
     */
    void gram(Tensor x, float beta, Tensor c);

    /** y = alpha x + y, element-wise, same shapes. */
    void axpy(float alpha, Tensor x, Tensor y);

    /** x = alpha x. */
    void scale(Tensor x, float alpha);

    // ---------------------------------------------------------------- factorisations

    /**
     * In place: a (d x d, symmetric positive definite) becomes its lower Cholesky factor L,
     * a = L L^T, with the strict upper triangle set to zero.
     *
     * @throws NotPositiveDefiniteException when a pivot is not positive
     */
    void cholesky(Tensor a);

    /**
     * In place: b = op(l)^-1 b, with l lower triangular d x d, op(l) = l or l^T, b d x m.
     */
    void triangularSolve(Tensor l, boolean transposeL, Tensor b);

    /**
     * The k largest eigenpairs of a symmetric s (d x d, 1 <= k <= d): values descending (length k),
     * vectors d x k (column j is the eigenvector of value j, unit norm, sign unspecified).
     */
    Eigen symmetricEigenTopK(Tensor s, int k);

    /**
     * The truncated SVD of a (m x n, 1 <= k <= min(m, n)): a ~ u diag(s) vt, u m x k, s descending
     * (length k), vt k x n; u and vt have orthonormal columns and rows.
     */
    Svd svd(Tensor a, int k);

    // ---------------------------------------------------------------- element-wise and reductions

    /** a(i, j) += bias(0, j), then relu if asked; a n x d, bias 1 x d. In place. */
    void addBiasRelu(Tensor a, Tensor bias, boolean relu);

    /** x(i, j) += alpha v(0, j); x n x d, v 1 x d (centring uses alpha = -1). In place. */
    void addRowVector(Tensor x, float alpha, Tensor v);

    /** means(0, j) = mean over i of x(i, j); x n x d, means 1 x d. */
    void columnMeans(Tensor x, Tensor means);

    /** The column sums: sums(0, j) = sum over i of x(i, j) (the bias gradient). */
    void columnSums(Tensor x, Tensor sums);

    /** a(i, i) += value for every i; a d x d. In place. */
    void addDiagonal(Tensor a, float value);

    /** The sum of the diagonal of a (d x d), in double. */
    double trace(Tensor a);

    /** sum of (a - b)^2 over all elements, accumulated in double. */
    double squaredError(Tensor a, Tensor b);

    /** sum of a^2 over all elements, accumulated in double. */
    double squaredNorm(Tensor a);

    /**
     * The gradient of a squared error: delta = scale (out - target), element-wise. Returns
     * sum (out - target)^2 in double. delta may alias out.
     */
    double errorGradient(Tensor out, Tensor target, float scale, Tensor delta);

    /**
     * {@link #errorGradient} with the sum of squares added to {@code sum} (from {@link #newSum})
     * instead of returned: a training epoch's batches then never wait for the device, and the sum is
     * read once at the end.
     */
    void errorGradient(Tensor out, Tensor target, float scale, Tensor delta, Sum sum);

    /** A new {@link Sum}, zero. */
    default Sum newSum() {
        return new HostSum();
    }

    /** A double kept where the backend computes (on the GPU, in device memory), added to by operations. */
    interface Sum extends AutoCloseable {
        /** The value, once the operations queued before this call are done. */
        double read();

        @Override
        void close();
    }

    /** grad(i, j) = 0 where activation(i, j) <= 0 (backward through a ReLU, given its output). In place. */
    void reluBackward(Tensor grad, Tensor activation);

    /**
     * The ReLU-penalty step of AS, element-wise (docs/method.md, Step II): for y' = yPrime(i, j) and
     * t = relu(preActivation(i, j)), z(i, j) = the minimiser of (t - relu(z))^2 + lambda (z - y')^2,
     * from the two closed-form candidates. Returns the objective summed over all elements at the
     * chosen z, in double. All three n x d.
     */
    double reluPenalty(Tensor yPrime, Tensor preActivation, float lambda, Tensor z);

    /**
     * For each row of logits (n x c) and each k in ks: whether labels[i] is among the k largest
     * entries (ties count against). Returns the number of correct rows per k.
     */
    long[] topkCorrect(Tensor logits, int[] labels, int[] ks);

    // ---------------------------------------------------------------- the low-rank FC layer

    /**
     * Forward of a factorised layer: qh = h q^T (n x k), out = qh p^T + bias, then relu if asked.
     * h n x in, q k x in, p out x k, bias 1 x out, out n x out. qh is kept for backward.
     */
    default void lowRankForward(Tensor h, Tensor q, Tensor p, Tensor bias, boolean relu, Tensor qh, Tensor out) {
        gemm(false, true, 1f, h, q, 0f, qh);
        gemm(false, true, 1f, qh, p, 0f, out);
        addBiasRelu(out, bias, relu);
    }

    /**
     * Backward of {@link #lowRankForward} given delta = dL/d(pre-activation) (n x out): dp = delta^T qh
     * (out x k), dq = (delta p)^T h (k x in), dbias = column sums of delta (1 x out), and, unless dh is
     * null, dh = (delta p) q (n x in), without any ReLU mask (see {@link #reluBackward}).
     * gp (n x k) is scratch for delta p.
     */
    default void lowRankBackward(Tensor h, Tensor q, Tensor p, Tensor qh, Tensor delta, Tensor gp,
                                 Tensor dq, Tensor dp, Tensor dbias, Tensor dh) {
        gemm(true, false, 1f, delta, qh, 0f, dp);
        gemm(false, false, 1f, delta, p, 0f, gp);
        gemm(true, false, 1f, gp, h, 0f, dq);
        columnSums(delta, dbias);
        if (dh != null) {
            gemm(false, false, 1f, gp, q, 0f, dh);
        }
    }

    /**
     * SGD with momentum and weight decay, in place: v = momentum v + grad + weightDecay param;
     * param -= lr v. All three of one shape.
     */
    void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay);

    // ---------------------------------------------------------------- profiling

    /** Opens a named range on the profiler timeline (NVTX on CUDA); close it with the result. */
    default Range range(String name) {
        return () -> { };
    }

    /** Waits until all queued work is done (for timing). */
    default void synchronize() {
    }

    @Override
    void close();

    /** A profiler range; closing ends it. */
    interface Range extends AutoCloseable {
        @Override
        void close();
    }
}
