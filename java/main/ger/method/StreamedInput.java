package ger.method;

import ger.backend.Backend;
import ger.backend.Tensor;


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
        Tensor mean = b.allocate(1, d);
        try (Tensor gram = b.allocate(d, d); Tensor part = b.allocate(1, d)) {
            b.fill(mean, 0f);
            rows.forEachChunk((from, chunk) -> {
                b.columnSums(chunk, part);
                b.axpy(1f, part, mean);
            });
            b.scale(mean, 1f / rows.rows());
            b.fill(gram, 0f);
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

    As.Pass pass(Rows preActivation) {
        return new Pass(preActivation);
    }

    /** G = Yc^T Z (d_in x d_out) and Z's column sums, accumulated chunk by chunk. */
    private final class Pass implements As.Pass {
        private final Rows preActivation;
        private final Tensor g;
        private final Tensor zSum;
        private final Tensor part;

        /** Accumulates G and the sums for Z = A. */
        Pass(Rows preActivation) {
            this.preActivation = preActivation;
            int dOut = preActivation.cols();
            g = b.allocate(rows.cols(), dOut);
            zSum = b.allocate(1, dOut);
            part = b.allocate(1, dOut);
            boolean[] first = {true};
            rows.forEachChunk((from, y) -> {
                b.addRowVector(y, -1f, mean());
                try (Tensor a = b.allocate(y.rows(), dOut)) {
                    preActivation.read(from, a);
                    accumulate(y, a, first);
                }
            });
        }

        /** G += yc^T z and zSum += the column sums of z; the first chunk overwrites. */
        private void accumulate(Tensor yc, Tensor z, boolean[] first) {
            b.gemm(true, false, 1f, yc, z, first[0] ? 0f : 1f, g);
            b.columnSums(z, first[0] ? zSum : part);
            if (!first[0]) {
                b.axpy(1f, part, zSum);
            }
            first[0] = false;
        }

        public As.Factors stepOne(TopEigenvectors eigen) {
            Tensor zbar = DeviceOps.copy(b, zSum);
            b.scale(zbar, 1f / rows.rows());
            try (Tensor bMat = DeviceOps.copy(b, g)) {
                b.triangularSolve(chol(), false, bMat);
                return As.Factors.of(new WhitenedCoefficients.Formed(b, bMat), zbar, eigen);
            }
        }

        public double stepTwo(As.Factors f, float lambda) {
            int dOut = preActivation.cols();
            int k = f.p().cols();
            double[] objective = {0};
            boolean[] first = {true};
            try (Tensor q = f.q(b, chol())) {
                rows.forEachChunk((from, y) -> {
                    int count = y.rows();
                    b.addRowVector(y, -1f, mean());
                    try (Tensor qh = b.allocate(count, k); Tensor yPrime = b.allocate(count, dOut);
                         Tensor a = b.allocate(count, dOut); Tensor z = b.allocate(count, dOut)) {
                        b.lowRankForward(y, q, f.p(), f.zbar(), false, qh, yPrime);
                        preActivation.read(from, a);
                        objective[0] += b.reluPenalty(yPrime, a, lambda, z);
                        accumulate(y, z, first);
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

    Rows output(As.Factors f, Tensor q, Tensor bias, boolean relu) {
        int k = f.p().cols();
        return rows.map(f.p().rows(), (y, out) -> {
            try (Tensor qh = b.allocate(y.rows(), k)) {
                b.lowRankForward(y, q, f.p(), bias, relu, qh, out);
            }
        });
    }

    @Override
    public void close() {
        super.close();
        rows.close();
    }
}
