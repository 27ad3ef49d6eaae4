package ger.method.as;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.NotPositiveDefiniteException;
import ger.method.DeviceOps;
import ger.method.Rows;
import ger.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * What AS's Step I needs of one layer's input Yhat that does not change across its iterations: its
 * mean ybar (1 x d_in) and the lower Cholesky factor L of C = Yc^T Yc + eps I (d_in x d_in) of the
 * centred input Yc = Yhat - 1 ybar, eps = ridge x the mean diagonal of Yc^T Yc. Two forms, by where
 * the rows live: {@link WhitenedInput} (on the device: whitened once, then every Step I is one
 * GEMM) and {@link StreamedInput} (in host memory: every pass streams the rows through the device).
 * When C is not positive definite in float, the ridge is raised tenfold, up to {@link #RETRIES}
 * times, and a note says so.
 */
public abstract sealed class LayerInput implements AutoCloseable permits WhitenedInput, StreamedInput {
    static final int RETRIES = 4;

    final Backend b;
    private final Tensor mean;
    private final Tensor chol;
    private final double eps;
    private final List<String> notes;

    /** Takes ownership of mean and of f's factor. */
    LayerInput(Backend b, Tensor mean, Factored f) {
        this.b = b;
        this.mean = mean;
        this.chol = f.chol();
        this.eps = f.eps();
        this.notes = List.copyOf(f.notes());
    }

    /** ybar, 1 x d_in. */
    public final Tensor mean() {
        return mean;
    }

    /** L, d_in x d_in, lower. */
    public final Tensor chol() {
        return chol;
    }

    /** The ridge added to the diagonal of Yc^T Yc. */
    public final double eps() {
        return eps;
    }

    /** Notes to pass on to every result that uses this input (a raised ridge). */
    final List<String> notes() {
        return notes;
    }

    /** AS's alternation over one layer's rows, wherever they live ({@link LayerInput#pass}). */
    interface Pass extends AutoCloseable {
        /**
         * Step I on the current Z (at first the pre-activation A): new factors, of rank k from eigen's
         * top-k eigenvectors, or of full rank when eigen is null (a layer refit dense).
         */
        LayerFactors stepOne(TopEigenvectors eigen);

        /**
         * Step II at lambda from the factors' forward Y' = Yc q^T p^T + zbar: Z becomes the
         * minimiser; returns the objective ||T - relu(Z)||^2 + lambda ||Z - Y'||^2.
         */
        double stepTwo(LayerFactors f, float lambda);

        /** What the pass chose and why, for the report; empty when there was nothing to choose. */
        default List<String> notes() {
            return List.of();
        }

        @Override
        void close();
    }

    /**
     * AS's alternation for this input against the layer's original pre-activation A (n x d_out, not
     * closed by the pass): Z starts at A.
     */
    abstract Pass pass(Rows preActivation);

    /**
     * B = L^-1 Yc^T T (d_in x d_out), the coefficients of a target's regression on the whitened
     * input (T n x d_out, not closed): the linear Step I's B for Z = T, a new tensor.
     */
    public abstract Tensor coefficients(Rows target);

    /**
     * The layer's output rows Yhat q^T p^T + bias (then relu if asked), the next layer's input: q and
     * bias are the solution's, from f.
     */
    abstract Rows output(LayerFactors f, Tensor q, Tensor bias, boolean relu);

    @Override
    public void close() {
        mean.close();
        chol.close();
    }

    /** Takes ownership of yhat (n x d_in): device rows are centred and whitened in place, host rows kept for streaming. */
    public static LayerInput of(Backend b, Rows yhat, double ridge, String layer) {
        return switch (yhat) {
            case Rows.OnDevice d -> WhitenedInput.of(b, d, ridge, layer);
            case Rows.OnHost h -> StreamedInput.of(b, h, ridge, layer);
        };
    }

    /** The lower Cholesky factor of a Gram matrix plus its ridge, and what it took. */
    record Factored(Tensor chol, double eps, List<String> notes) {
    }

    /**
     * L with L L^T = gram + eps I, eps = ridge x its mean diagonal; the ridge is raised tenfold when
     * the factorisation fails, up to {@link #RETRIES} times.
     *
     * @param rows the calibration rows behind the Gram matrix (for the error message)
     * @throws GerException when it still fails
     */
    static Factored factor(Backend b, Tensor gram, double ridge, String layer, int rows) {
        int d = gram.rows();
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
                List<String> notes = new ArrayList<>();
                if (attempt > 0) {
                    notes.add(layer + ": Yhat^T Yhat + eps I was not positive definite at ridge " + ridge
                            + "; used ridge " + r);
                }
                return new Factored(chol, eps, notes);
            } catch (NotPositiveDefiniteException e) {
                chol.close();
                if (attempt == RETRIES) {
                    throw new GerException(layer + ": the input's Gram matrix stays singular even with ridge " + r
                            + " (" + rows + " calibration rows for " + d
                            + " inputs); pass a larger --ridge or more calibration rows");
                }
                r *= 10;
            }
        }
    }
}
