package ger.method.as;

import ger.backend.Backend;
import ger.method.DeviceOps;
import ger.method.Rows;
import ger.tensor.Tensor;

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
    static LayerFactors reducedRankRegression(Backend b, Tensor wt, Tensor zc, Tensor zbar, TopEigenvectors eigen,
                                            boolean asProduct) {
        if (eigen == null) {
            Tensor bMat = b.allocate(wt.rows(), zc.cols());
            b.gemm(false, false, 1f, wt, zc, 0f, bMat);
            return LayerFactors.fullRank(bMat, zbar);
        }
        if (asProduct) {
            return LayerFactors.of(new WhitenedCoefficients.Product(b, wt, zc), zbar, eigen);
        }
        try (Tensor bMat = b.allocate(wt.rows(), zc.cols())) {
            b.gemm(false, false, 1f, wt, zc, 0f, bMat);
            return LayerFactors.of(new WhitenedCoefficients.Formed(b, bMat), zbar, eigen);
        }
    }

    /**
     * A warm Step I's cost both ways, in flops at the backend's large-GEMM rate: Step I applies
     * S = B^T B STEPS + 1 times (the power steps and Rayleigh-Ritz) and B once more (bu = B U_k), 3.5
     * applications of S. With B formed: 2 n d_in d_out to form it (a square-ish GEMM), then 4 p d_in
     * d_out per application; as the product W^T Zc: 4 n p (d_in + d_out) per application. Every
     * application is a thin GEMM (p columns), so it is charged at the backend's
     * {@link Backend#thinGemmEfficiency}. At k = 256 (p = 266) with efficiency 1: VGG-19's fc6
     * (n = 32,768) 7.1 formed against 3.6 TFLOP as the product, fc7 (4096 x 4096) 1.16 against 1.00.
     */
    record StepOneCost(double formed, double product) {
        static StepOneCost of(long n, long dIn, long dOut, long p, double thinGemmEfficiency) {
            double applications = SubspaceIteration.STEPS + 1.5;
            return new StepOneCost(2.0 * n * dIn * dOut + applications * 4.0 * dIn * dOut * p / thinGemmEfficiency,
                    applications * 4.0 * n * p * (dIn + dOut) / thinGemmEfficiency);
        }

        boolean productPays() {
            return product < formed;
        }

        /** The choice and its reason, for the report. */
        String note(double thinGemmEfficiency) {
            return String.format(Locale.ROOT, "Step I with B %s (cost model: %.3g GFLOP as the product W^T Zc, %.3g "
                            + "formed, at the large-GEMM rate with thin GEMMs at %.2f of it on this backend)",
                    productPays() ? "as the product W^T Zc" : "formed", product * 1e-9, formed * 1e-9, thinGemmEfficiency);
        }
    }

    /**
     * out = Yc Q^T P^T + zbar = W bu P^T + zbar (n x d_out; W B + zbar at full rank), then relu if
     * asked; qh n x k scratch (null at full rank).
     */
    void forward(LayerFactors f, boolean relu, Tensor qh, Tensor out) {
        if (f.fullRank()) {
            b.gemm(true, false, 1f, wt, f.bu(), 0f, out);
        } else {
            b.gemm(true, false, 1f, wt, f.bu(), 0f, qh);
            b.gemm(false, true, 1f, qh, f.p(), 0f, out);
        }
        b.addBiasRelu(out, f.zbar(), relu);
    }

    /** B = W^T T: the columns of W sum to zero, so T needs no centring. */
    public Tensor coefficients(Rows target) {
        if (!(target instanceof Rows.OnDevice t)) {
            throw new IllegalArgumentException("a device-resident input needs a device-resident target");
        }
        Tensor bMat = b.allocate(wt.rows(), t.cols());
        b.gemm(false, false, 1f, wt, t.tensor(), 0f, bMat);
        return bMat;
    }

    LayerInput.Pass pass(Rows preActivation) {
        if (!(preActivation instanceof Rows.OnDevice a)) {
            throw new IllegalArgumentException("a device-resident input needs a device-resident pre-activation");
        }
        return new Pass(a.tensor());
    }

    /** Z, Y' and the forward's scratch on the device, all n rows at once. */
    private final class Pass implements LayerInput.Pass {
        private final Tensor preActivation;
        private final Tensor z;
        private final Tensor yPrime;
        private Tensor qh;
        /** Whether a warm Step I leaves B as the product W^T Zc, from the shapes ({@link StepOneCost}); null before the first. */
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

        public LayerFactors stepOne(TopEigenvectors eigen) {
            Tensor zbar = DeviceOps.centre(b, z);
            if (eigen == null || !eigen.warm()) {
                return reducedRankRegression(b, wt, z, zbar, eigen, false);
            }
            if (asProduct == null) {
                double efficiency = b.thinGemmEfficiency();
                StepOneCost cost = StepOneCost.of(z.rows(), wt.rows(), z.cols(), eigen.block(), efficiency);
                asProduct = cost.productPays();
                note = cost.note(efficiency);
            }
            return reducedRankRegression(b, wt, z, zbar, eigen, asProduct);
        }

        public double stepTwo(LayerFactors f, float lambda) {
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

    Rows output(LayerFactors f, Tensor q, Tensor bias, boolean relu) {
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
