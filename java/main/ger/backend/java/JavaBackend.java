package ger.backend.java;

import ger.backend.CheckedBackend;
import ger.backend.Eigen;
import ger.backend.Svd;
import ger.backend.TopK;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/**
 * The pure-Java reference backend: double accumulation in reductions and factorisations, so each
 * operation is accurate enough to be the reference the other backends are tested against
 * (java/test/ger/backend/BackendConformance.java). The heavy operations are tuned: GEMM and the Gram
 * matrix with the Vector API ({@link Gemm}), the eigendecomposition by tred2/tql2
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

    /** Elements per parallel chunk of an element-wise operation. */
    private static final int CHUNK = 1 << 16;

    /** Work on the flat elements [from, to); returns its part of a sum (0 when there is none). */
    @FunctionalInterface
    private interface Chunk {
        double run(long from, long to);
    }

    /**
     * Runs body over [0, n) in chunks of CHUNK elements, in parallel, and adds the partial sums in chunk
     * order, so that a reduction gives the same double whatever the thread count.
     */
    private static double chunked(long n, Chunk body) {
        int chunks = (int) ((n + CHUNK - 1) / CHUNK);
        if (chunks <= 1) {
            return body.run(0, n);
        }
        double[] partial = new double[chunks];
        IntStream.range(0, chunks).parallel()
                .forEach(c -> partial[c] = body.run((long) c * CHUNK, Math.min(n, (long) (c + 1) * CHUNK)));
        double sum = 0;
        for (double p : partial) {
            sum += p;
        }
        return sum;
    }

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
        copy(src, srcRow, m(dst), dstRow, count);
    }

    @Override
    protected void implDownloadRows(Tensor src, int srcRow, Matrix dst, int dstRow, int count) {
        copy(m(src), srcRow, dst, dstRow, count);
    }

    @Override
    protected void implCopyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        copy(m(src), srcRow, m(dst), dstRow, count);
    }

    private static void copy(Matrix src, int srcRow, Matrix dst, int dstRow, int count) {
        long rowBytes = (long) src.cols() * Float.BYTES;
        MemorySegment.copy(src.segment(), srcRow * rowBytes, dst.segment(), dstRow * rowBytes, count * rowBytes);
    }

    @Override
    protected void implGatherRows(Tensor src, int[] rows, Tensor dst) {
        for (int i = 0; i < rows.length; i++) {
            copyRows(src, rows[i], dst, i, 1);
        }
    }

    @Override
    protected void implTranspose(Tensor src, Tensor dst) {
        Matrix s = m(src);
        Matrix d = m(dst);
        for (int i = 0; i < s.rows(); i++) {
            for (int j = 0; j < s.cols(); j++) {
                d.set(j, i, s.get(i, j));
            }
        }
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
        Matrix a = m(x);
        Matrix b = m(y);
        chunked(a.size(), (from, to) -> {
            for (long i = from; i < to; i++) {
                b.setFlat(i, alpha * a.getFlat(i) + b.getFlat(i));
            }
            return 0;
        });
    }

    @Override
    public void scale(Tensor x, float alpha) {
        Matrix a = m(x);
        chunked(a.size(), (from, to) -> {
            for (long i = from; i < to; i++) {
                a.setFlat(i, alpha * a.getFlat(i));
            }
            return 0;
        });
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
        SymmetricEigen e = SymmetricEigen.of(Dense.toDouble(m(st)));
        int d = st.rows();
        Matrix vectors = Matrix.zeros(d, k);
        double[] values = new double[k];
        for (int j = 0; j < k; j++) {
            int src = d - 1 - j; // SymmetricEigen sorts ascending
            values[j] = e.values()[src];
            for (int i = 0; i < d; i++) {
                vectors.set(i, j, (float) e.vectors()[i][src]);
            }
        }
        return new Eigen(values, vectors);
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
        SymmetricEigen e = SymmetricEigen.of(gram);
        double[] s = new double[k];
        double[][] left = new double[k][]; // eigenvectors of x x^T, as rows
        double[][] right = new double[k][]; // x^T v / s, as rows
        IntStream.range(0, k).parallel().forEach(j -> {
            int src = r - 1 - j; // SymmetricEigen sorts ascending
            s[j] = Math.sqrt(Math.max(0, e.values()[src]));
            left[j] = new double[r];
            right[j] = new double[c];
            for (int i = 0; i < r; i++) {
                left[j][i] = e.vectors()[i][src];
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
        Matrix a = m(at);
        Matrix bias = m(biasT);
        IntStream.range(0, a.rows()).parallel().forEach(i -> {
            for (int j = 0; j < a.cols(); j++) {
                float v = a.get(i, j) + bias.get(0, j);
                a.set(i, j, relu ? Math.max(0f, v) : v);
            }
        });
    }

    @Override
    protected void implAddRowVector(Tensor xt, float alpha, Tensor vt) {
        Matrix x = m(xt);
        Matrix v = m(vt);
        IntStream.range(0, x.rows()).parallel().forEach(i -> {
            for (int j = 0; j < x.cols(); j++) {
                x.set(i, j, x.get(i, j) + alpha * v.get(0, j));
            }
        });
    }

    @Override
    protected void implColumnMeans(Tensor xt, Tensor means) {
        columnSums(xt, means);
        scale(means, 1f / xt.rows());
    }

    @Override
    protected void implColumnSums(Tensor xt, Tensor sumsT) {
        Matrix x = m(xt);
        Matrix sums = m(sumsT);
        int cols = x.cols();
        // in parallel over blocks of columns; each column is still summed over the rows in order
        IntStream.range(0, (cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK).parallel().forEach(blk -> {
            int from = blk * COLUMN_BLOCK;
            int to = Math.min(cols, from + COLUMN_BLOCK);
            double[] acc = new double[to - from];
            for (int i = 0; i < x.rows(); i++) {
                for (int j = from; j < to; j++) {
                    acc[j - from] += x.get(i, j);
                }
            }
            for (int j = from; j < to; j++) {
                sums.set(0, j, (float) acc[j - from]);
            }
        });
    }

    /** Columns per parallel task of {@link #columnSums}. */
    private static final int COLUMN_BLOCK = 128;

    @Override
    protected void implAddDiagonal(Tensor at, float value) {
        Matrix a = m(at);
        for (int i = 0; i < a.rows(); i++) {
            a.set(i, i, a.get(i, i) + value);
        }
    }

    @Override
    protected double implTrace(Tensor at) {
        Matrix a = m(at);
        double s = 0;
        for (int i = 0; i < a.rows(); i++) {
            s += a.get(i, i);
        }
        return s;
    }

    @Override
    protected double implSquaredError(Tensor at, Tensor bt) {
        Matrix a = m(at);
        Matrix b = m(bt);
        return chunked(a.size(), (from, to) -> {
            double s = 0;
            for (long i = from; i < to; i++) {
                double d = (double) a.getFlat(i) - b.getFlat(i);
                s += d * d;
            }
            return s;
        });
    }

    @Override
    public double squaredNorm(Tensor at) {
        Matrix a = m(at);
        return chunked(a.size(), (from, to) -> {
            double s = 0;
            for (long i = from; i < to; i++) {
                double v = a.getFlat(i);
                s += v * v;
            }
            return s;
        });
    }

    @Override
    protected double implErrorGradient(Tensor outT, Tensor targetT, float scale, Tensor deltaT) {
        Matrix out = m(outT);
        Matrix target = m(targetT);
        Matrix delta = m(deltaT);
        return chunked(out.size(), (from, to) -> {
            double s = 0;
            for (long i = from; i < to; i++) {
                float d = out.getFlat(i) - target.getFlat(i);
                s += (double) d * d;
                delta.setFlat(i, scale * d);
            }
            return s;
        });
    }

    @Override
    protected void implReluBackward(Tensor gradT, Tensor activationT) {
        Matrix grad = m(gradT);
        Matrix act = m(activationT);
        chunked(grad.size(), (from, to) -> {
            for (long i = from; i < to; i++) {
                if (act.getFlat(i) <= 0f) {
                    grad.setFlat(i, 0f);
                }
            }
            return 0;
        });
    }

    @Override
    protected double implReluPenalty(Tensor yPrimeT, Tensor preActT, float lambda, Tensor zT) {
        Matrix yPrime = m(yPrimeT);
        Matrix preAct = m(preActT);
        Matrix z = m(zT);
        return chunked(z.size(), (from, to) -> reluPenalty(yPrime.segment(), preAct.segment(), lambda, z.segment(), from, to));
    }

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DOUBLES = VectorSpecies.of(double.class, VectorShape.forBitSize(FLOATS.vectorBitSize()));
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /**
     * Step II on the flat elements [from, to), a vector of them at a time: the same float operations
     * in the same order as the scalar tail (so z is the same whatever the split); the objective is
     * summed in double, lane by lane, then across lanes.
     */
    private static double reluPenalty(MemorySegment yPrime, MemorySegment preAct, float lambda, MemorySegment z,
                                      long from, long to) {
        DoubleVector sum = DoubleVector.zero(DOUBLES);
        long i = from;
        for (long end = to - FLOATS.length(); i <= end; i += FLOATS.length()) {
            long off = i * Float.BYTES;
            FloatVector y = FloatVector.fromMemorySegment(FLOATS, yPrime, off, ORDER);
            FloatVector t = FloatVector.fromMemorySegment(FLOATS, preAct, off, ORDER).max(0f);
            FloatVector z0 = y.min(0f);
            FloatVector d0 = z0.sub(y);
            FloatVector cost0 = t.mul(t).add(d0.mul(lambda).mul(d0));
            FloatVector z1 = y.mul(lambda).add(t).div(1 + lambda).max(0f);
            FloatVector e1 = t.sub(z1);
            FloatVector d1 = z1.sub(y);
            FloatVector cost1 = e1.mul(e1).add(d1.mul(lambda).mul(d1));
            VectorMask<Float> positive = cost1.compare(VectorOperators.LE, cost0);
            z0.blend(z1, positive).intoMemorySegment(z, off, ORDER);
            FloatVector cost = cost0.blend(cost1, positive);
            sum = sum.add(cost.convertShape(VectorOperators.F2D, DOUBLES, 0))
                    .add(cost.convertShape(VectorOperators.F2D, DOUBLES, 1));
        }
        double objective = sum.reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) {
            long off = i * Float.BYTES;
            float y = yPrime.get(Matrix.FLOAT, off);
            float t = Math.max(0f, preAct.get(Matrix.FLOAT, off));
            float z0 = Math.min(0f, y);
            float cost0 = t * t + lambda * (z0 - y) * (z0 - y);
            float z1 = Math.max(0f, (lambda * y + t) / (1 + lambda));
            float cost1 = (t - z1) * (t - z1) + lambda * (z1 - y) * (z1 - y);
            boolean positive = cost1 <= cost0;
            z.set(Matrix.FLOAT, off, positive ? z1 : z0);
            objective += positive ? cost1 : cost0;
        }
        return objective;
    }

    @Override
    protected long[] implTopkCorrect(Tensor logitsT, int[] labels, int[] ks) {
        Matrix logits = m(logitsT);
        int[] ahead = new int[logits.rows()];
        for (int i = 0; i < logits.rows(); i++) {
            float target = logits.get(i, labels[i]);
            for (int j = 0; j < logits.cols(); j++) {
                if (j != labels[i] && logits.get(i, j) >= target) {
                    ahead[i]++;
                }
            }
        }
        return TopK.correct(ahead, ks);
    }

    // ---------------------------------------------------------------- SGD

    @Override
    protected void implSgdUpdate(Tensor paramT, Tensor gradT, Tensor velocityT, float lr, float momentum, float weightDecay) {
        Matrix param = m(paramT);
        Matrix grad = m(gradT);
        Matrix v = m(velocityT);
        chunked(param.size(), (from, to) -> {
            for (long i = from; i < to; i++) {
                float w = param.getFlat(i);
                float vi = momentum * v.getFlat(i) + grad.getFlat(i) + weightDecay * w;
                v.setFlat(i, vi);
                param.setFlat(i, w - lr * vi);
            }
            return 0;
        });
    }

    @Override
    public void close() {
    }
}
