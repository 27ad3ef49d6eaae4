package ger.method.budget;

import ger.backend.Backend;
import ger.backend.java.JavaBackend;
import ger.method.DeviceLayer;
import ger.method.Fixtures;
import ger.method.Lrd;
import ger.method.RankRule;
import ger.method.Rows;
import ger.method.as.LayerInput;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;
import org.ejml.simple.SimpleMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The free error curves against the explicit residuals of their rank-k solutions, in float64. */
class ErrorCurveTest {
    private final Backend b = new JavaBackend();
    /** Each test's own draw (JUnit makes an instance per test); failures name it. */
    private final long seed = System.nanoTime();
    private final Random r = new Random(seed);

    private Rows rows(Matrix m, boolean onHost) {
        return onHost ? new Rows.OnHost(b, m, false, 17) : new Rows.OnDevice(b, b.upload(m), 17);
    }

    /** (1/1) sum of squares of a - (y m^T + 1 bias), plus eps ||m||^2. */
    private static double objective(SimpleMatrix a, SimpleMatrix y, SimpleMatrix m, SimpleMatrix bias, double eps) {
        SimpleMatrix pred = y.mult(m.transpose());
        for (int i = 0; i < pred.getNumRows(); i++) {
            for (int j = 0; j < pred.getNumCols(); j++) {
                pred.set(i, j, pred.get(i, j) + bias.get(0, j));
            }
        }
        double r = a.minus(pred).normF();
        double w = m.normF();
        return r * r + eps * w * w;
    }

    /**
     * AS's curve: error(k) is how much the ridge objective ||A - (Yhat M^T + b)||^2 + eps ||M||^2 of the
     * curve's own rank-k solution lies above that of the full-rank ridge solution, solved here in float64.
     */
    @ParameterizedTest(name = "rows on the host: {0}")
    @ValueSource(booleans = {false, true})
    void asCurveIsTheResidualOfItsRankKSolution(boolean onHost) {
        int n = 150, dIn = 12, dOut = 9;
        double ridge = 1e-3;
        Matrix y = Fixtures.gaussian(r, n, dIn, 1, 0.5);
        Matrix w = Fixtures.gaussian(r, dOut, dIn, 1, 0);
        Matrix a = Matrix.zeros(n, dOut);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dOut; j++) {
                double s = 0.3 * r.nextGaussian() + 1;
                for (int c = 0; c < dIn; c++) {
                    s += w.get(j, c) * y.get(i, c);
                }
                a.set(i, j, (float) s);
            }
        }
        int maxRank = RankRule.maxUsefulRank(dOut, dIn);
        // The input takes the rows (and frees them).
        try (Rows ar = rows(a, onHost); LayerInput in = LayerInput.of(b, rows(y.copy(), onHost), ridge, "fc");
             ErrorCurve.As curve = ErrorCurve.As.of(b, "fc", in, ar, maxRank)) {
            SimpleMatrix ys = Fixtures.ejml(y);
            SimpleMatrix as = Fixtures.ejml(a);
            SimpleMatrix ybar = columnMeans(ys);
            SimpleMatrix abar = columnMeans(as);
            SimpleMatrix yc = centred(ys, ybar);
            SimpleMatrix ac = centred(as, abar);
            SimpleMatrix gram = yc.transpose().mult(yc);
            double eps = in.eps();
            SimpleMatrix full = gram.plus(SimpleMatrix.identity(dIn).scale(eps)).solve(yc.transpose().mult(ac)).transpose();
            SimpleMatrix fullBias = abar.minus(ybar.mult(full.transpose()));
            double best = objective(as, ys, full, fullBias, eps);
            for (int k : new int[] {1, 2, 3, maxRank}) {
                try (CompressedLayer.LowRank approx = curve.approximation(k)) {
                    SimpleMatrix m = Fixtures.ejml(approx.p()).mult(Fixtures.ejml(approx.q()));
                    double explicit = objective(as, ys, m, Fixtures.ejml(approx.bias()), eps) - best;
                    assertEquals(explicit, curve.error(k), 1e-5 * (best + explicit),
                            "k = " + k + ", seed " + seed);
                }
            }
        }
    }

    /** LRD's curve: error(k) = ||X (W - W_k)^T||^2 with W_k the truncated SVD it hands out. */
    @ParameterizedTest(name = "rows on the host: {0}")
    @ValueSource(booleans = {false, true})
    void lrdCurveIsThePreActivationErrorOfTheTruncatedSvd(boolean onHost) {
        int n = 120, dIn = 14, dOut = 11;
        Matrix x = Fixtures.gaussian(r, n, dIn, 1, 0.4);
        // Unequal input scales, so that weighing each direction by the inputs matters.
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dIn; j++) {
                x.set(i, j, x.get(i, j) * (1 + j));
            }
        }
        FcStack model = Fixtures.stack(r, dIn, dOut);
        DenseLayer d = model.layer(0);
        int maxRank = RankRule.maxUsefulRank(dOut, dIn);
        try (Lrd lrd = new Lrd(b, model); Rows xr = rows(x, onHost); Rows pre = xr.map(dOut, (in, out) -> {
                 try (DeviceLayer layer = DeviceLayer.upload(b, d)) {
                     layer.forward(b, in, false, null, out);
                 }
             })) {
            ErrorCurve.Lrd curve = ErrorCurve.Lrd.of(b, lrd, 0, d, xr, pre);
            SimpleMatrix xs = Fixtures.ejml(x);
            SimpleMatrix ws = Fixtures.ejml(d.weight());
            for (int k : new int[] {1, 3, maxRank}) {
                try (CompressedLayer.LowRank approx = curve.approximation(k)) {
                    SimpleMatrix wk = Fixtures.ejml(approx.p()).mult(Fixtures.ejml(approx.q()));
                    double e = xs.mult(ws.minus(wk).transpose()).normF();
                    double total = xs.mult(ws.transpose()).normF();
                    assertEquals(e * e, curve.error(k), 1e-4 * total * total, "k = " + k + ", seed " + seed);
                }
            }
        }
    }

    private static SimpleMatrix columnMeans(SimpleMatrix a) {
        SimpleMatrix m = new SimpleMatrix(1, a.getNumCols());
        for (int j = 0; j < a.getNumCols(); j++) {
            m.set(0, j, a.extractMatrix(0, a.getNumRows(), j, j + 1).elementSum() / a.getNumRows());
        }
        return m;
    }

    private static SimpleMatrix centred(SimpleMatrix a, SimpleMatrix mean) {
        SimpleMatrix c = a.copy();
        for (int i = 0; i < a.getNumRows(); i++) {
            for (int j = 0; j < a.getNumCols(); j++) {
                c.set(i, j, a.get(i, j) - mean.get(0, j));
            }
        }
        return c;
    }
}
