package ger.method;

import ger.backend.Backend;
import ger.backend.Tensor;

import java.util.List;

/**
 * A layer's input resident on the device, whitened once: W = Yc L^-T, kept transposed as
 * wt = L^-1 Yc^T (d_in x n). With W, B = L^-1 Yc^T Z is one GEMM (W^T Z) and Yc Q^T = W (B U_k): no
 * triangular solve against L inside the iterations, only one per layer here (d_in^2 n flops, paid
 * back after about n / d_out iterations).
 */
final class WhitenedInput implements LayerInput {
    private final Backend b;
    final Tensor wt;
    private final Tensor mean;
    private final Tensor chol;
    private final double eps;
    private final List<String> notes;
    /** Rows per chunk of the output rows' passes. */
    private final int chunkRows;

    private WhitenedInput(Backend b, Tensor wt, Tensor mean, Factored f, int chunkRows) {
        this.b = b;
        this.wt = wt;
        this.mean = mean;
        this.chol = f.chol();
        this.eps = f.eps();
        this.notes = List.copyOf(f.notes());
        this.chunkRows = chunkRows;
    }

    /** Takes ownership of yhat (n x d_in), which is centred in place, whitened and freed. */
    static WhitenedInput of(Backend b, Rows.OnDevice rows, double ridge, String layer) {
        Tensor yhat = rows.tensor();
        int d = yhat.cols();
        Tensor mean = b.allocate(1, d);
        b.columnMeans(yhat, mean);
        b.addRowVector(yhat, -1f, mean);
        Factored f;
        try (Tensor gram = b.allocate(d, d)) {
            try (Backend.Range r = b.range("gram " + layer)) {
                b.gram(yhat, 0f, gram);
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

    public Tensor mean() {
        return mean;
    }

    public Tensor chol() {
        return chol;
    }

    public double eps() {
        return eps;
    }

    public List<String> notes() {
        return notes;
    }

    /**
     * Step I: the rank-k regression of z (n x d_out, centred in place) on the centred input:
     * B = L^-1 Yc^T Zc = W^T Zc, then U_k and B U_k. A warm subspace iteration works with B as the
     * product W^T Zc when that costs fewer flops than forming it ({@link #productCheaper}).
     */
    As.Factors reducedRankRegression(Tensor z, TopEigenvectors eigen) {
        Tensor zbar = b.allocate(1, z.cols());
        b.columnMeans(z, zbar);
        b.addRowVector(z, -1f, zbar);
        if (eigen.warm() && productCheaper(z.rows(), wt.rows(), z.cols(), eigen.block())) {
            return As.Factors.of(new WhitenedCoefficients.Product(b, wt, z), zbar, eigen);
        }
        try (Tensor bMat = b.allocate(wt.rows(), z.cols())) {
            b.gemm(false, false, 1f, wt, z, 0f, bMat);
            return As.Factors.of(new WhitenedCoefficients.Formed(b, bMat), zbar, eigen);
        }
    }

    /**
     * Whether a warm Step I costs fewer flops with B left as W^T Zc than with B formed, by a margin
     * of a quarter for the thin products' lower GEMM rate. Step I applies S = B^T B STEPS + 1 times
     * (the power steps and Rayleigh-Ritz) and B once more (bu = B U_k): 3.5 applications of S at
     * 4 p (d_in d_out) flops with B formed, after the 2 n d_in d_out of forming it; at
     * 4 n p (d_in + d_out) as the product. At n = 32,768, k = 256 (p = 266): VGG-19's fc6 7.1
     * against 3.6 TFLOP, AlexNet's fc6 (n = 20,000) 1.65 against 0.99; fc7 (4096 x 4096) 1.16
     * against 1.00, so it stays formed.
     */
    static boolean productCheaper(long n, long dIn, long dOut, long p) {
        double applications = SubspaceIteration.STEPS + 1.5;
        double formed = 2.0 * n * dIn * dOut + applications * 4.0 * dIn * dOut * p;
        double product = applications * 4.0 * n * p * (dIn + dOut);
        return product < 0.75 * formed;
    }

    /** out = Yc Q^T P^T + zbar = W bu P^T + zbar (n x d_out), then relu if asked; qh n x k scratch. */
    void forward(As.Factors f, boolean relu, Tensor qh, Tensor out) {
        b.gemm(true, false, 1f, wt, f.bu(), 0f, qh);
        b.gemm(false, true, 1f, qh, f.p(), 0f, out);
        b.addBiasRelu(out, f.zbar(), relu);
    }

    public As.Pass pass(Rows preActivation) {
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

        Pass(Tensor preActivation) {
            this.preActivation = preActivation;
            this.z = DeviceOps.copy(b, preActivation);
            this.yPrime = b.allocate(z.rows(), z.cols());
        }

        public As.Factors stepOne(TopEigenvectors eigen) {
            return reducedRankRegression(z, eigen);
        }

        public double stepTwo(As.Factors f, float lambda) {
            if (qh == null) {
                qh = b.allocate(z.rows(), f.p().cols());
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

    public Rows output(As.Factors f, Tensor q, Tensor bias, boolean relu) {
        Tensor out = b.allocate(wt.cols(), f.p().rows());
        try (Tensor qh = b.allocate(wt.cols(), f.p().cols())) {
            forward(f, relu, qh, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return new Rows.OnDevice(b, out, chunkRows);
    }

    @Override
    public void close() {
        wt.close();
        mean.close();
        chol.close();
    }
}
