package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static ger.backend.Conformance.assertClose;
import static ger.backend.Conformance.d;
import static ger.backend.Conformance.scaled;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The sums over a tensor: squaredError, squaredNorm, errorGradient (alone and into a Sum).
 * Kernels: kernels/portable/reductions.h. Reference: ger.backend.java.Reductions.
 */
public interface ReductionsConformance extends ConformanceFixture {

    @Test
    default void squaredErrorAndNorm() {
        Draw r = Draw.fresh();
        Matrix a = gaussian(r, 37, 53);
        Matrix b = gaussian(r, 37, 53);
        double err = 0;
        double norm = 0;
        for (long i = 0; i < a.size(); i++) {
            double diff = (double) a.getFlat(i) - b.getFlat(i);
            err += diff * diff;
            norm += (double) a.getFlat(i) * a.getFlat(i);
        }
        assertClose(err, backend().squaredError(up(a), up(b)), tolerance(), r.tag("squaredError"));
        assertClose(norm, backend().squaredNorm(up(a)), tolerance(), r.tag("squaredNorm"));
    }

    @Test
    default void errorGradient() {
        Draw r = Draw.fresh();
        Matrix out = gaussian(r, 37, 53);
        Matrix target = gaussian(r, 37, 53);
        float scale = (float) (0.1 + r.rng().nextDouble());
        double[][] expected = scaled(d(out), scale, d(target), -scale);
        double loss = 0;
        for (long i = 0; i < out.size(); i++) {
            double diff = (double) out.getFlat(i) - target.getFlat(i);
            loss += diff * diff;
        }
        Tensor delta = poisoned(37, 53);
        double got = backend().errorGradient(up(out), up(target), scale, delta);
        assertClose(loss, got, tolerance(), r.tag("errorGradient loss"));
        assertClose(expected, down(delta), tolerance(), r.tag("errorGradient delta"));

        Tensor aliased = up(out); // delta may alias out
        got = backend().errorGradient(aliased, up(target), scale, aliased);
        assertClose(loss, got, tolerance(), r.tag("errorGradient aliased loss"));
        assertClose(expected, down(aliased), tolerance(), r.tag("errorGradient aliased delta"));
    }

    @Test
    default void errorGradientIntoASum() {
        Draw r = Draw.fresh();
        double expected = 0;
        try (Backend.Sum sum = backend().newSum()) {
            assertEquals(0.0, sum.read(), r.tag("a new sum"));
            // Shapes that take one and several reduction blocks; every call adds.
            for (int[] shape : new int[][] {{37, 53}, {1, 7}, {613, 129}}) {
                Matrix out = gaussian(r, shape[0], shape[1]);
                Matrix target = gaussian(r, shape[0], shape[1]);
                float scale = (float) (0.1 + r.rng().nextDouble());
                for (long i = 0; i < out.size(); i++) {
                    double diff = (double) out.getFlat(i) - target.getFlat(i);
                    expected += diff * diff;
                }
                Tensor delta = poisoned(shape[0], shape[1]);
                backend().errorGradient(up(out), up(target), scale, delta, sum);
                assertClose(scaled(d(out), scale, d(target), -scale), down(delta), tolerance(), r.tag("delta " + shape[0]));
            }
            assertClose(expected, sum.read(), tolerance(), r.tag("the sum of three calls"));
        }
    }
}
