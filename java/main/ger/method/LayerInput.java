package ger.method;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.NotPositiveDefiniteException;
import ger.backend.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * What AS's Step I needs of one layer's input Yhat that does not change across its iterations:
 * its mean ybar (1 x d_in), the lower Cholesky factor L of C = Yc^T Yc + eps I (d_in x d_in) of the
 * centred input Yc = Yhat - 1 ybar, eps = ridge x the mean diagonal of Yc^T Yc, and the whitened
 * input W = Yc L^-T, kept transposed: wt = L^-1 Yc^T (d_in x n). With W, B = L^-1 Yc^T Z is one GEMM
 * (W^T Z) and Yc Q^T = W (B U_k): no triangular solve against L inside the iterations, only one per
 * layer here (d_in^2 n flops, paid back after about n / d_out iterations).
 * When C is not positive definite in float, the ridge is raised tenfold, up to {@link #RETRIES}
 * times, and a note says so.
 */
final class LayerInput implements AutoCloseable {
    static final int RETRIES = 4;

    final Tensor wt;
    final Tensor mean;
    final Tensor chol;
    final double eps;
    /** Notes to pass on to every result that uses this input (a raised ridge). */
    final List<String> notes;

    private LayerInput(Tensor wt, Tensor mean, Tensor chol, double eps, List<String> notes) {
        this.wt = wt;
        this.mean = mean;
        this.chol = chol;
        this.eps = eps;
        this.notes = List.copyOf(notes);
    }

    /** Takes ownership of yhat (n x d_in), which is centred in place, whitened and freed. */
    static LayerInput of(Backend b, Tensor yhat, double ridge, String layer) {
        int d = yhat.cols();
        Tensor mean = b.allocate(1, d);
        b.columnMeans(yhat, mean);
        b.addRowVector(yhat, -1f, mean);
        List<String> notes = new ArrayList<>();
        try (Tensor gram = b.allocate(d, d)) {
            try (Backend.Range r = b.range("gram " + layer)) {
                b.gram(yhat, 0f, gram);
            }
            double meanDiagonal = b.trace(gram) / d;
            // An all-zero input (every unit dead) has no scale to be relative to: use the ridge as is.
            double scale = meanDiagonal > 0 ? meanDiagonal : 1.0;
            double r = ridge;
            for (int attempt = 0; ; attempt++) {
                Tensor chol = DeviceOps.copy(b, gram);
                double eps = r * scale;
                b.addDiagonal(chol, (float) eps);
                try {
                    try (Backend.Range range = b.range("cholesky " + layer)) {
                        b.cholesky(chol);
                    }
                    if (attempt > 0) {
                        notes.add(layer + ": Yhat^T Yhat + eps I was not positive definite at ridge " + ridge
                                + "; used ridge " + r);
                    }
                    Tensor wt = DeviceOps.transposed(b, yhat);
                    yhat.close();
                    try (Backend.Range range = b.range("whiten " + layer)) {
                        b.triangularSolve(chol, false, wt);
                    }
                    return new LayerInput(wt, mean, chol, eps, notes);
                } catch (NotPositiveDefiniteException e) {
                    chol.close();
                    if (attempt == RETRIES) {
                        yhat.close();
                        mean.close();
                        throw new GerException(layer + ": the input's Gram matrix stays singular even with ridge " + r
                                + " (" + yhat.rows() + " calibration rows for " + d
                                + " inputs); pass a larger --ridge or more calibration rows");
                    }
                    r *= 10;
                }
            }
        }
    }

    @Override
    public void close() {
        wt.close();
        mean.close();
        chol.close();
    }
}
