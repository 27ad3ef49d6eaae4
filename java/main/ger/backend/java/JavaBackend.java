package ger.backend.java;

import ger.backend.CheckedBackend;
import ger.backend.Eigen;
import ger.backend.Svd;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import java.util.stream.IntStream;

/**
 * The pure-Java reference backend: double accumulation in reductions and factorisations, so each
 * operation is accurate enough to be the reference the other backends are tested against
 * (java/test/ger/backend/BackendConformance.java). Each family of operations has its reference in a
 * class named like its device kernels' file in kernels/portable ({@link Elementwise}, {@link Layout},
 * {@link Reductions}, {@link ReluPenalty}, {@link RowVector}, {@link Topk}, {@link Triangle},
 * {@link Tf32Split}); this class unwraps the tensors and delegates. The heavy operations are tuned:
 * GEMM and the Gram matrix with the Vector API ({@link Gemm}), the eigendecomposition by tred2/tql2
 * ({@link SymmetricEigen}), Cholesky and the triangular solves row-oriented ({@link Cholesky});
 * element-wise operations run in parallel chunks. Its tensors are host {@link Matrix} objects.
 */
public final class JavaBackend extends CheckedBackend {

    @Override
    public String name() {
        return "java";
    }

    @Override
    public String device() {
        return "host CPU, " + Runtime.getRuntime().availableProcessors() + " threads";
    }

    /**
     * Step I's thin products (N = 42 columns against reductions of 4096 rows) ran at about 60 GFLOP/s
     * on the 2-core dev machine, against 135 for the square-ish product that forms B
     * (bench/results/step-one.md).
     */
    @Override
    public double thinGemmEfficiency() {
        return 0.45;
    }

    /** Singular values below this fraction of the largest have right vectors rebuilt by Gram-Schmidt. */
    private static final double UNRELIABLE = 1e-6;

    static Matrix m(Tensor t) {
        if (t instanceof Matrix mat) {
            return mat;
        }
        throw new IllegalArgumentException("java backend got a tensor of another backend: " + t);
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Tensor allocate(int rows, int cols) {
        return Matrix.zeros(rows, cols);
    }

    @Override
    public Tensor upload(Matrix host) {
        return host.copy();
    }

    @Override
    protected void implUploadRows(Matrix src, int srcRow, Tensor dst, int dstRow, int count) {
        Layout.copyRows(src, srcRow, m(dst), dstRow, count);
    }

    @Override
    protected void implDownloadRows(Tensor src, int srcRow, Matrix dst, int dstRow, int count) {
        Layout.copyRows(m(src), srcRow, dst, dstRow, count);
    }

    @Override
    protected void implCopyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        Layout.copyRows(m(src), srcRow, m(dst), dstRow, count);
    }

    @Override
    protected void implGatherRows(Tensor src, int[] rows, Tensor dst) {
        Layout.gatherRows(m(src), rows, m(dst));
    }

    @Override
    protected void implTranspose(Tensor src, Tensor dst) {
        Layout.transpose(m(src), m(dst));
    }

    @Override
    public void fill(Tensor t, float value) {
        Matrix a = m(t);
        for (long i = 0, n = a.size(); i < n; i++) {
            a.setFlat(i, value);
        }
    }

    // ---------------------------------------------------------------- BLAS

    @Override
    protected void implGemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        Gemm.gemm(transA, transB, alpha, m(a), m(b), beta, m(c));
    }

    @Override
    protected void implGram(Tensor x, float beta, Tensor c) {
        Gemm.gram(m(x), beta, m(c));
    }

    @Override
    protected void implAxpy(float alpha, Tensor x, Tensor y) {
        Elementwise.axpy(alpha, m(x), m(y));
    }

    @Override
    public void scale(Tensor x, float alpha) {
        Elementwise.scale(m(x), alpha);
    }

    // ---------------------------------------------------------------- factorisations

    @Override
    protected void implCholesky(Tensor t) {
        Cholesky.factor(m(t));
    }

    @Override
    protected void implTriangularSolve(Tensor lt, boolean transposeL, Tensor bt) {
        Cholesky.solve(m(lt), transposeL, m(bt));
    }

    @Override
    protected Eigen implSymmetricEigenTopK(Tensor st, int k) {
        SymmetricEigen e = SymmetricEigen.top(Dense.toDouble(m(st)), k);
        return new Eigen(e.values(), Dense.toMatrix(e.vectors()));
    }

    /**
     * Through the eigendecomposition of the smaller Gram matrix, in double: with x = a or a^T so that x
     * is r x c, r <= c, x x^T = v diag(s^2) v^T, and the other factor is x^T v / s.
     */
    @Override
    protected Svd implSvd(Tensor at, int k) {
        Matrix a = m(at);
        boolean wide = a.rows() <= a.cols();
        double[][] x = wide ? Dense.toDouble(a) : Dense.transpose(Dense.toDouble(a));
        int r = x.length;
        int c = x[0].length;
        double[][] gram = new double[r][r];
        IntStream.range(0, r).parallel().forEach(i -> {
            for (int j = 0; j <= i; j++) {
                gram[i][j] = Dense.dot(x[i], x[j], c);
                gram[j][i] = gram[i][j];
            }
        });
        SymmetricEigen e = SymmetricEigen.top(gram, k);
        double[] s = new double[k];
        double[][] left = new double[k][]; // eigenvectors of x x^T, as rows
        double[][] right = new double[k][]; // x^T v / s, as rows
        IntStream.range(0, k).parallel().forEach(j -> {
            s[j] = Math.sqrt(Math.max(0, e.values()[j]));
            left[j] = new double[r];
            right[j] = new double[c];
            for (int i = 0; i < r; i++) {
                left[j][i] = e.vectors()[i][j];
                Dense.addScaled(left[j][i], x[i], right[j], 0, c);
            }
        });
        for (int j = 0; j < k; j++) {
            // x^T v is only as accurate as s is large; where s is lost in rounding, orthogonalise
            if (s[j] > UNRELIABLE * s[0]) {
                Dense.scale(right[j], 1 / Math.sqrt(Dense.dot(right[j], right[j], c)));
            } else {
                Dense.orthonormalise(right, j);
            }
        }
        Matrix small = Dense.toMatrix(Dense.transpose(left)); // r x k
        Matrix big = Dense.toMatrix(right); // k x c
        if (wide) {
            return new Svd(small, s, big);
        }
        try (small; big) {
            return new Svd(big.transpose(), s, small.transpose());
        }
    }

    // ---------------------------------------------------------------- element-wise and reductions

    @Override
    protected void implAddBiasRelu(Tensor at, Tensor biasT, boolean relu) {
        RowVector.addBiasRelu(m(at), m(biasT), relu);
    }

    @Override
    protected void implAddRowVector(Tensor xt, float alpha, Tensor vt) {
        RowVector.addRowVector(m(xt), alpha, m(vt));
    }

    @Override
    protected void implColumnMeans(Tensor xt, Tensor means) {
        RowVector.columnMeans(m(xt), m(means));
    }

    @Override
    protected void implColumnSums(Tensor xt, Tensor sumsT) {
        RowVector.columnSums(m(xt), m(sumsT));
    }

    @Override
    protected void implAddDiagonal(Tensor at, float value) {
        Triangle.addDiagonal(m(at), value);
    }

    @Override
    protected double implTrace(Tensor at) {
        return Triangle.trace(m(at));
    }

    @Override
    protected double implSquaredError(Tensor at, Tensor bt) {
        return Reductions.squaredError(m(at), m(bt));
    }

    @Override
    public double squaredNorm(Tensor at) {
        return Reductions.squaredNorm(m(at));
    }

    @Override
    protected double implErrorGradient(Tensor outT, Tensor targetT, float scale, Tensor deltaT) {
        return Reductions.errorGradient(m(outT), m(targetT), scale, m(deltaT));
    }

    @Override
    protected void implReluBackward(Tensor gradT, Tensor activationT) {
        Elementwise.reluBackward(m(gradT), m(activationT));
    }

    @Override
    protected double implReluPenalty(Tensor yPrimeT, Tensor preActT, float lambda, Tensor zT) {
        return ReluPenalty.reluPenalty(m(yPrimeT), m(preActT), lambda, m(zT));
    }

    @Override
    protected long[] implTopkCorrect(Tensor logitsT, int[] labels, int[] ks) {
        return Topk.topkCorrect(m(logitsT), labels, ks);
    }

    // ---------------------------------------------------------------- SGD

    @Override
    protected void implSgdUpdate(Tensor paramT, Tensor gradT, Tensor velocityT, float lr, float momentum, float weightDecay) {
        Elementwise.sgdUpdate(m(paramT), m(gradT), m(velocityT), lr, momentum, weightDecay);
    }

    @Override
    public void close() {
    }
}
