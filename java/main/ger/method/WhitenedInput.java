package ger.method;

import ger.backend.Backend;
import ger.backend.Tensor;

import java.util.List;
import java.util.Locale;

/**
 * A layer's input resident on the device, whitened once: W = Yc L^-T, kept transposed as
 * wt = L^-1 Yc^T (d_in x n). With W, B = L^-1 Yc^T Z is one GEMM (W^T Z) and Yc Q^T = W (B U_k): no
 * triangular solve against L inside the iterations, only one per layer here (d_in^2 n flops, paid
 * back after about n / d_out iterations).
 */
final class WhitenedInput extends LayerInput {
    final Tensor wt;
    /** Rows per chunk of the output rows' passes. */
    private final int chunkRows;

    private WhitenedInput(Backend b, Tensor wt, Tensor mean, Factored f, int chunkRows) {
        super(b, mean, f);
        this.wt = wt;
        this.chunkRows = chunkRows;
    }

    /** Takes ownership of yhat (n x d_in), which is centred in place, whitened and freed. */
    static WhitenedInput of(Backend b, Rows.OnDevice rows, double ridge, String layer) {
        Tensor yhat = rows.tensor();
        int d = yhat.cols();
        Tensor mean = DeviceOps.centre(b, yhat);
        Factored f;
        try (Tensor gram = b.allocate(d, d)) {
            try (Backend.Range r = b.range("gram " + layer)) {
                gram(b, yhat, gram);
            }
            f = LayerInput.factor(b, gram, ridge, layer, yhat.rows());
        } catch (RuntimeException e) {
            yhat.close();
            mean.close();
            throw e;
        }
        Tensor wt = DeviceOps.transposed(b, yhat);
        yhat.close();
        try (Backend.Range range = b.range("whiten " + layer)) {
            b.triangularSolve(f.chol(), false, wt);
        }
        return new WhitenedInput(b, wt, mean, f, rows.chunkRows());
    }

    /**
     * Rows per Gram call. VGG-19's fc6 Gram ran at the SGEMM rate over 32,768 rows on an H200 and
     * five times slower per flop over 100,000 in one call (bench/results/README.md, run 3), so a
     * taller input accumulates over blocks of this many rows.
     */
    static final int GRAM_ROWS = 32768;

    /** gram = yc^T yc, in blocks of {@link #GRAM_ROWS} rows. */
    static void gram(Backend b, Tensor yc, Tensor gram) {
        if (yc.rows() <= GRAM_ROWS) {
            b.gram(yc, 0f, gram);
            return;
        }
        for (int from = 0; from < yc.rows(); from += GRAM_ROWS) {
            int count = Math.min(GRAM_ROWS, yc.rows() - from);
            try (Tensor block = b.allocate(count, yc.cols())) {
                b.copyRows(yc, from, block, 0, count);
                b.gram(block, from == 0 ? 0f : 1f, gram);
            }
        }
    }

    /**
     * Step I: the rank-k regression of the centred zc on the centred input whitened as wt,
     * B = L^-1 Yc^T Zc = W^T Zc, then U_k and B U_k, with B formed or left as the product W^T Zc;
     * with eigen null, the full-rank regression (B formed). Takes zbar.
     */
    static As.Factors reducedRankRegression(Backend b, Tensor wt, Tensor zc, Tensor zbar, TopEigenvectors eigen,
                                            boolean asProduct) {
        if (eigen == null) {
            Tensor bMat = b.allocate(wt.rows(), zc.cols());
            b.gemm(false, false, 1f, wt, zc, 0f, bMat);
            return As.Factors.fullRank(bMat, zbar);
        }
        if (asProduct) {
            return As.Factors.of(new WhitenedCoefficients.Product(b, wt, zc), zbar, eigen);
        }
        try (Tensor bMat = b.allocate(wt.rows(), zc.cols())) {
            b.gemm(false, false, 1f, wt, zc, 0f, bMat);
            return As.Factors.of(new WhitenedCoefficients.Formed(b, bMat), zbar, eigen);
        }
    }

    /**
     * Whether a warm Step I may cost less time with B left as W^T Zc than with B formed, by flop
     * count: Step I applies S = B^T B STEPS + 1 times (the power steps and Rayleigh-Ritz) and B once
     * more (bu = B U_k), 3.5 applications of S at 4 p d_in d_out flops with B formed, after the
     * 2 n d_in d_out of forming it, against 4 n p (d_in + d_out) as the product. At k = 256 (p = 266):
     * VGG-19's fc6 (n = 32,768) 7.1 against 3.6 TFLOP, AlexNet's (n = 20,000) 1.65 against 0.99,
     * fc7 (4096 x 4096, n = 32,768) 1.16 against 1.00. Thin products run below the GEMM peak, so
     * where this holds the pass times both ways once and keeps the faster.
     */
    static boolean productMayPay(long n, long dIn, long dOut, long p) {
        double applications = SubspaceIteration.STEPS + 1.5;
        double formed = 2.0 * n * dIn * dOut + applications * 4.0 * dIn * dOut * p;
        double product = applications * 4.0 * n * p * (dIn + dOut);
        return product < formed;
    }

    /**
     * out = Yc Q^T P^T + zbar = W bu P^T + zbar (n x d_out; W B + zbar at full rank), then relu if
     * asked; qh n x k scratch (null at full rank).
     */
    void forward(As.Factors f, boolean relu, Tensor qh, Tensor out) {
        if (f.fullRank()) {
            b.gemm(true, false, 1f, wt, f.bu(), 0f, out);
        } else {
            b.gemm(true, false, 1f, wt, f.bu(), 0f, qh);
            b.gemm(false, true, 1f, qh, f.p(), 0f, out);
        }
        b.addBiasRelu(out, f.zbar(), relu);
    }

    /** B = W^T T: the columns of W sum to zero, so T needs no centring. */
    Tensor coefficients(Rows target) {
        if (!(target instanceof Rows.OnDevice t)) {
            throw new IllegalArgumentException("a device-resident input needs a device-resident target");
        }
        Tensor bMat = b.allocate(wt.rows(), t.cols());
        b.gemm(false, false, 1f, wt, t.tensor(), 0f, bMat);
        return bMat;
    }

    As.Pass pass(Rows preActivation) {
        if (!(preActivation instanceof Rows.OnDevice a)) {
            throw new IllegalArgumentException("a device-resident input needs a device-resident pre-activation");
        }
        return new Pass(a.tensor());
    }

    /** Z, Y' and the forward's scratch on the device, all n rows at once. */
    private final class Pass implements As.Pass {
        private final Tensor preActivation;
        private final Tensor z;
        private final Tensor yPrime;
        private Tensor qh;
        /** Whether Step I leaves B as the product W^T Zc: measured at the first warm Step I where it may pay. */
        private Boolean asProduct;
        private String note;

        public List<String> notes() {
            return note == null ? List.of() : List.of(note);
        }

        Pass(Tensor preActivation) {
            this.preActivation = preActivation;
            this.z = DeviceOps.copy(b, preActivation);
            try {
                this.yPrime = b.allocate(z.rows(), z.cols());
            } catch (RuntimeException e) {
                z.close();
                throw e;
            }
        }

        public As.Factors stepOne(TopEigenvectors eigen) {
            Tensor zbar = DeviceOps.centre(b, z);
            if (eigen == null || !eigen.warm() || !productMayPay(z.rows(), wt.rows(), z.cols(), eigen.block())) {
                return reducedRankRegression(b, wt, z, zbar, eigen, false);
            }
            if (asProduct == null) {
                // The first warm Step I runs both ways (the extra one is one more refinement of the
                // block) and the faster is kept for the layer's remaining iterations.
                b.synchronize();
                long start = System.nanoTime();
                reducedRankRegression(b, wt, z, DeviceOps.copy(b, zbar), eigen, false).close();
                b.synchronize();
                long formed = System.nanoTime() - start;
                As.Factors f;
                try (Backend.Range r = b.range("step I, B as the product W^T Zc")) {
                    f = reducedRankRegression(b, wt, z, zbar, eigen, true);
                    b.synchronize();
                }
                long product = System.nanoTime() - start - formed;
                asProduct = product < formed;
                note = String.format(Locale.ROOT, "Step I with B %s (timed once: %.1f ms as the product W^T Zc, %.1f ms formed)",
                        asProduct ? "as the product W^T Zc" : "formed", product * 1e-6, formed * 1e-6);
                return f;
            }
            return reducedRankRegression(b, wt, z, zbar, eigen, asProduct);
        }

        public double stepTwo(As.Factors f, float lambda) {
            if (qh == null && !f.fullRank()) {
                qh = b.allocate(z.rows(), f.rank());
            }
            forward(f, false, qh, yPrime);
            return b.reluPenalty(yPrime, preActivation, lambda, z);
        }

        public void close() {
            z.close();
            yPrime.close();
            if (qh != null) {
                qh.close();
            }
        }
    }

    Rows output(As.Factors f, Tensor q, Tensor bias, boolean relu) {
        Tensor out = b.allocate(wt.cols(), bias.cols());
        try (Tensor qh = f.fullRank() ? null : b.allocate(wt.cols(), f.rank())) {
            forward(f, relu, qh, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return new Rows.OnDevice(b, out, chunkRows);
    }

    @Override
    public void close() {
        super.close();
        wt.close();
    }
}
