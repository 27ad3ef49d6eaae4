package ger.method.as;

import ger.backend.Backend;
import ger.method.DeviceOps;
import ger.method.Rows;
import ger.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A layer's input held in host memory and streamed through the device a chunk at a time: a first
 * pass finds the mean, a second accumulates the Gram matrix of the centred chunks. In AS each
 * lambda iteration is then one pass that fuses the forward, Step II and the accumulation of
 * G = Yc^T Z (Yc^T Zc = Yc^T Z, since the columns of Yc sum to zero) and of Z's column sums, so Z is
 * never stored; Step I solves B = L^-1 G once per iteration. Device memory is the Gram matrix, its
 * factor, G and one chunk, whatever the number of rows.
 */
final class StreamedInput extends LayerInput {
    private final Rows.OnHost rows;

    private StreamedInput(Backend b, Rows.OnHost rows, Tensor mean, Factored f) {
        super(b, mean, f);
        this.rows = rows;
    }

    /** Takes ownership of rows (n x d_in), kept for the passes. */
    static StreamedInput of(Backend b, Rows.OnHost rows, double ridge, String layer) {
        int d = rows.cols();
        Tensor mean = DeviceOps.zeros(b, 1, d);
        try (Tensor gram = DeviceOps.zeros(b, d, d); Tensor part = b.allocate(1, d)) {
            rows.forEachChunk((from, chunk) -> addColumnSums(b, chunk, part, mean));
            b.scale(mean, 1f / rows.rows());
            try (Backend.Range r = b.range("gram " + layer)) {
                rows.forEachChunk((from, chunk) -> {
                    b.addRowVector(chunk, -1f, mean);
                    b.gram(chunk, 1f, gram);
                });
            }
            return new StreamedInput(b, rows, mean, LayerInput.factor(b, gram, ridge, layer, rows.rows()));
        } catch (RuntimeException e) {
            mean.close();
            rows.close();
            throw e;
        }
    }

    /** sums += the column sums of x; part (1 x cols) is scratch. */
    private static void addColumnSums(Backend b, Tensor x, Tensor part, Tensor sums) {
        b.columnSums(x, part);
        b.axpy(1f, part, sums);
    }

    /** Calls visitor with each chunk of the rows, centred (Yc's chunk). */
    private void forEachCentredChunk(Rows.ChunkVisitor visitor) {
        rows.forEachChunk((from, y) -> {
            b.addRowVector(y, -1f, mean());
            visitor.visit(from, y);
        });
    }

    /** G = Yc^T T accumulated chunk by chunk, then B = L^-1 G. */
    public Tensor coefficients(Rows target) {
        Tensor g = DeviceOps.zeros(b, rows.cols(), target.cols());
        try {
            forEachCentredChunk((from, yc) -> {
                try (Tensor t = b.allocate(yc.rows(), target.cols())) {
                    target.read(from, t);
                    b.gemm(true, false, 1f, yc, t, 1f, g);
                }
            });
            b.triangularSolve(chol(), false, g);
            return g;
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    LayerInput.Pass pass(Rows preActivation) {
        return new Pass(preActivation);
    }

    /** G = Yc^T Z (d_in x d_out) and Z's column sums, accumulated chunk by chunk. */
    private final class Pass implements LayerInput.Pass {
        private final Rows preActivation;
        private final Tensor g;
        private final Tensor zSum;
        private final Tensor part;

        /** Accumulates G and the sums for Z = A. */
        Pass(Rows preActivation) {
            this.preActivation = preActivation;
            int dOut = preActivation.cols();
            List<Tensor> made = new ArrayList<>();
            try {
                made.add(g = DeviceOps.zeros(b, rows.cols(), dOut));
                made.add(zSum = DeviceOps.zeros(b, 1, dOut));
                made.add(part = b.allocate(1, dOut));
                forEachCentredChunk((from, yc) -> {
                    try (Tensor a = b.allocate(yc.rows(), dOut)) {
                        preActivation.read(from, a);
                        accumulate(yc, a);
                    }
                });
            } catch (RuntimeException e) {
                made.forEach(Tensor::close); // the pass is not returned, so nothing else would free them
                throw e;
            }
        }

        /** G += yc^T z and zSum += the column sums of z. */
        private void accumulate(Tensor yc, Tensor z) {
            b.gemm(true, false, 1f, yc, z, 1f, g);
            addColumnSums(b, z, part, zSum);
        }

        public LayerFactors stepOne(TopEigenvectors eigen) {
            Tensor zbar = DeviceOps.copy(b, zSum);
            b.scale(zbar, 1f / rows.rows());
            Tensor bMat = DeviceOps.copy(b, g);
            b.triangularSolve(chol(), false, bMat);
            if (eigen == null) {
                return LayerFactors.fullRank(bMat, zbar);
            }
            try (bMat) {
                return LayerFactors.of(new WhitenedCoefficients.Formed(b, bMat), zbar, eigen);
            }
        }

        public double stepTwo(LayerFactors f, float lambda) {
            int dOut = preActivation.cols();
            double[] objective = {0};
            b.fill(g, 0f);
            b.fill(zSum, 0f);
            try (Tensor q = f.q(b, chol())) {
                forEachCentredChunk((from, yc) -> {
                    int count = yc.rows();
                    try (Tensor qh = f.fullRank() ? null : b.allocate(count, f.rank());
                         Tensor yPrime = b.allocate(count, dOut);
                         Tensor a = b.allocate(count, dOut); Tensor z = b.allocate(count, dOut)) {
                        f.forward(b, yc, q, f.zbar(), false, qh, yPrime);
                        preActivation.read(from, a);
                        objective[0] += b.reluPenalty(yPrime, a, lambda, z);
                        accumulate(yc, z);
                    }
                });
            }
            return objective[0];
        }

        public void close() {
            g.close();
            zSum.close();
            part.close();
        }
    }

    Rows output(LayerFactors f, Tensor q, Tensor bias, boolean relu) {
        return rows.map(bias.cols(), (y, out) -> {
            try (Tensor qh = f.fullRank() ? null : b.allocate(y.rows(), f.rank())) {
                f.forward(b, y, q, bias, relu, qh, out);
            }
        });
    }

    @Override
    public void close() {
        super.close();
        rows.close();
    }
}
