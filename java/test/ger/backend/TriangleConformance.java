package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static ger.backend.Conformance.assertClose;
import static ger.backend.Conformance.d;

/**
 * The diagonal of a square matrix: addDiagonal, trace.
 * Kernels: kernels/portable/triangle.h. Reference: ger.backend.java.Triangle.
 */
public interface TriangleConformance extends ConformanceFixture {

    @Test
    default void addDiagonalAndTrace() {
        Draw r = Draw.fresh();
        Matrix a = gaussian(r, 37, 37);
        float value = 2 + (float) r.rng().nextDouble();
        Tensor at = up(a);
        backend().addDiagonal(at, value);
        double[][] expected = d(a);
        double trace = 0;
        for (int i = 0; i < 37; i++) {
            expected[i][i] += value;
            trace += expected[i][i];
        }
        assertClose(expected, down(at), tolerance(), r.tag("addDiagonal " + value));
        assertClose(trace, backend().trace(at), tolerance(), r.tag("trace"));
    }
}
