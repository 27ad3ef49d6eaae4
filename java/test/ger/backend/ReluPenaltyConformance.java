package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static ger.backend.Conformance.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The AS Step II solve: reluPenalty.
 * Kernel: kernels/portable/relu_penalty.h. Reference: ger.backend.java.ReluPenalty.
 */
public interface ReluPenaltyConformance extends ConformanceFixture {

    /** The AS objective of one element: (t - relu(z))^2 + lambda (z - y')^2, in double. */
    private static double penalty(double t, double z, double lambda, double y) {
        double e = t - Math.max(0, z);
        return e * e + lambda * (z - y) * (z - y);
    }

    @Test
    default void reluPenalty() {
        Draw r = Draw.fresh();
        // The last case is big enough that a GPU's grid-stride loop goes round more than once.
        float[] lambdas = {0.01f, 1f, (float) (0.05 + r.rng().nextDouble()), (float) (0.05 + r.rng().nextDouble())};
        int[][] shapes = {{37, 53}, {37, 53}, {37, 53}, {1031, 1033}};
        for (int c = 0; c < lambdas.length; c++) {
            float lambda = lambdas[c];
            int n = shapes[c][0];
            int d = shapes[c][1];
            Matrix y = gaussian(r, n, d);
            Matrix a = gaussian(r, n, d);
            Tensor z = poisoned(n, d);
            double got = backend().reluPenalty(up(y), up(a), lambda, z);
            Matrix zh = down(z);
            String what = r.tag("reluPenalty " + n + " x " + d + ", lambda=" + lambda);
            double objective = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    double yp = y.get(i, j);
                    double t = Math.max(0, a.get(i, j));
                    // the two-candidate rule in double (docs/method.md, Step II)
                    double z0 = Math.min(0, yp);
                    double z1 = Math.max(0, (lambda * yp + t) / (1 + lambda));
                    double best = Math.min(penalty(t, z0, lambda, yp), penalty(t, z1, lambda, yp));
                    objective += best;
                    double zg = zh.get(i, j);
                    double scale = 1 + t * t + yp * yp;
                    if (!(Math.abs(zg - z0) <= tolerance() * (1 + Math.abs(z0))
                            || Math.abs(zg - z1) <= tolerance() * (1 + Math.abs(z1)))) {
                        fail(what + ": z(" + i + ", " + j + ") = " + zg + " is neither candidate " + z0 + " nor " + z1);
                    }
                    if (!(penalty(t, zg, lambda, yp) <= best + tolerance() * scale)) {
                        fail(what + ": z(" + i + ", " + j + ") = " + zg + " costs " + penalty(t, zg, lambda, yp)
                                + ", the minimum is " + best);
                    }
                }
            }
            assertClose(objective, got, tolerance(), what + ": objective");
            // brute force on a few elements: no z on a fine grid does better than the chosen one
            for (int s = 0; s < 20; s++) {
                int i = r.rng().nextInt(n);
                int j = r.rng().nextInt(d);
                double yp = y.get(i, j);
                double t = Math.max(0, a.get(i, j));
                double chosen = penalty(t, zh.get(i, j), lambda, yp);
                double lo = Math.min(yp, 0) - 1;
                double hi = Math.max(yp, t) + 1;
                for (int g = 0; g <= 4000; g++) {
                    double zc = lo + (hi - lo) * g / 4000;
                    assertTrue(chosen <= penalty(t, zc, lambda, yp) + tolerance() * (1 + t * t + yp * yp),
                            what + ": z = " + zc + " beats the chosen " + zh.get(i, j) + " at (" + i + ", " + j + ")");
                }
            }
        }
    }
}
