package ger.method.budget;

import ger.backend.Backend;
import ger.backend.Eigen;
import ger.method.DeviceOps;
import ger.method.Rows;
import ger.method.as.LayerInput;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

/**
 * One layer's reconstruction error at every rank, almost for free, in the units of the method's first
 * step (docs/method.md, "Choosing the ranks under a size budget"), and the layer alone at rank k as
 * that step makes it, so that a size budget can measure how much the layer's error moves the output.
 */
sealed interface ErrorCurve extends AutoCloseable {
    /** The largest rank offered (the largest at which the layer shrinks). */
    int maxRank();

    /** The error at rank k, 1 &lt;= k &lt;= maxRank; 0 at full rank. */
    double error(int k);

    /** The layer at rank k alone, on the original input (a new host layer). */
    CompressedLayer.LowRank approximation(int k);

    @Override
    default void close() {
    }

    /**
     * LRD's, in the units of the layer's pre-activation on its original input X (n x d_in): with
     * W = U S V^T, ||X (W - W_k)^T||_F^2 = sum over the dropped i of s_i^2 v_i^T X^T X v_i, the dropped
     * singular values each weighed by how much the calibration inputs excite its direction. The
     * total over every i is ||X W^T||_F^2, read off the original pre-activation A = X W^T + b.
     */
    record Lrd(ger.method.Lrd lrd, int layer, double[] cumulative, double total) implements ErrorCurve {
        /** Layer l's curve from its original input rows and pre-activation (neither closed). */
        static Lrd of(Backend b, ger.method.Lrd lrd, int layer, DenseLayer d, Rows input, Rows preActivation) {
            double[] s = lrd.singularValues(layer);
            double[] excited;
            try (Tensor gram = DeviceOps.zeros(b, d.in(), d.in()); Tensor vt = b.upload(lrd.rightVectors(layer));
                 Tensor vc = b.allocate(s.length, d.in())) {
                input.forEachChunk((from, chunk) -> b.gram(chunk, 1f, gram));
                b.gemm(false, false, 1f, vt, gram, 0f, vc);
                excited = rowDots(b.download(vc), lrd.rightVectors(layer));
            }
            double[] cumulative = new double[s.length + 1];
            for (int i = 0; i < s.length; i++) {
                cumulative[i + 1] = cumulative[i] + s[i] * s[i] * excited[i];
            }
            double[] total = {0};
            try (Tensor bias = b.upload(d.bias())) {
                preActivation.forEachChunk((from, a) -> {
                    b.addRowVector(a, -1f, bias);
                    total[0] += b.squaredNorm(a);
                });
            }
            return new Lrd(lrd, layer, cumulative, total[0]);
        }

        /** sum_j a(i, j) b(i, j) for each row i; a is closed. */
        private static double[] rowDots(Matrix a, Matrix b) {
            try (a) {
                double[] dots = new double[a.rows()];
                for (int i = 0; i < a.rows(); i++) {
                    for (int j = 0; j < a.cols(); j++) {
                        dots[i] += (double) a.get(i, j) * b.get(i, j);
                    }
                }
                return dots;
            }
        }

        public int maxRank() {
            return cumulative.length - 1;
        }

        public double error(int k) {
            return Math.max(0, total - cumulative[k]);
        }

        public CompressedLayer.LowRank approximation(int k) {
            return lrd.layer(layer, k);
        }
    }

    /**
     * AS's, from the linear Step I on the original input (Z = A): with B = L^-1 Yc^T Ac, the rank-k
     * regression leaves ||Ac - Yc M_k^T||^2 above the full-rank one by the dropped eigenvalues of
     * B^T B. The rank-k solution is P = U_k, Q^T = L^-T B U_k = Mt U_k, bias = abar - P Q ybar.
     *
     * @param mt    the full-rank coefficients M^T = L^-T B, d_in x d_out (host)
     * @param u     the top eigenvectors of B^T B, d_out x maxRank (host)
     * @param abar  the target's column means, 1 x d_out; ybar the input's, 1 x d_in
     */
    record As(Backend b, String name, Matrix mt, Matrix u, double[] cumulative, double total, Matrix abar, Matrix ybar)
            implements ErrorCurve {
        /** The curve of a layer: its prepared original input (not closed) and its original pre-activation A. */
        static As of(Backend b, String name, LayerInput in, Rows preActivation, int maxRank) {
            try (Tensor bMat = in.coefficients(preActivation); Tensor s = b.allocate(bMat.cols(), bMat.cols());
                 Tensor abar = b.allocate(1, preActivation.cols())) {
                b.gram(bMat, 0f, s);
                double total = b.trace(s);
                Matrix u;
                double[] cumulative = new double[maxRank + 1];
                try (Eigen e = b.symmetricEigenTopK(s, maxRank)) {
                    for (int i = 0; i < maxRank; i++) {
                        cumulative[i + 1] = cumulative[i] + Math.max(0, e.values()[i]);
                    }
                    u = b.download(e.vectors());
                }
                b.triangularSolve(in.chol(), true, bMat);
                columnMeans(b, preActivation, abar);
                return new As(b, name, b.download(bMat), u, cumulative, total, b.download(abar), b.download(in.mean()));
            }
        }

        private static void columnMeans(Backend b, Rows rows, Tensor means) {
            b.fill(means, 0f);
            try (Tensor part = b.allocate(1, rows.cols())) {
                rows.forEachChunk((from, chunk) -> {
                    b.columnSums(chunk, part);
                    b.axpy(1f, part, means);
                });
            }
            b.scale(means, 1f / rows.rows());
        }

        public int maxRank() {
            return cumulative.length - 1;
        }

        public double error(int k) {
            return Math.max(0, total - cumulative[k]);
        }

        public CompressedLayer.LowRank approximation(int k) {
            try (Matrix p = DeviceOps.firstColumns(u, k); Tensor pt = b.upload(p); Tensor mtd = b.upload(mt);
                 Tensor qt = b.allocate(mt.rows(), k); Tensor q = b.allocate(k, mt.rows());
                 Tensor y = b.upload(ybar); Tensor qy = b.allocate(1, k); Tensor bias = b.upload(abar);
                 Tensor pqy = b.allocate(1, u.rows())) {
                b.gemm(false, false, 1f, mtd, pt, 0f, qt);
                b.transpose(qt, q);
                b.gemm(false, true, 1f, y, q, 0f, qy);
                b.gemm(false, true, 1f, qy, pt, 0f, pqy);
                b.axpy(-1f, pqy, bias);
                return new CompressedLayer.LowRank(name, p.copy(), b.download(q), b.download(bias));
            }
        }

        @Override
        public void close() {
            mt.close();
            u.close();
            abar.close();
            ybar.close();
        }
    }
}
