package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static ger.backend.Conformance.assertClose;
import static ger.backend.Conformance.d;
import static ger.backend.Conformance.mul;
import static ger.backend.Conformance.scaled;
import static ger.backend.Conformance.t;

/**
 * The matrix products: gemm with every transpose, alpha and beta, and gram (x^T x).
 * Kernel: kernels/opencl/sgemm.cl (cuBLAS on CUDA). Reference: ger.backend.java.Gemm.
 */
public interface GemmConformance extends ConformanceFixture {

    @Test
    default void gemmAllTransposesAlphaBeta() {
        Draw r = Draw.fresh();
        // {301, 157, 263} is bigger than one packed block of a tuned CPU GEMM in every dimension; the last two are
        // thin outputs (AS at k = 8, 16), as tall in m and k, then few rows of c (the gradients at small k)
        int[][] shapes = {{37, 53, 29}, {1, 41, 17}, {31, 1, 1}, {23, 19, 1}, {301, 157, 263}, {290, 16, 270}, {150, 8, 300}, {7, 600, 300}};
        for (int[] mnk : shapes) {
            int m = mnk[0];
            int n = mnk[1];
            int k = mnk[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Matrix a = ta ? gaussian(r, k, m) : gaussian(r, m, k);
                    Matrix b = tb ? gaussian(r, n, k) : gaussian(r, k, n);
                    double[][] ab = mul(ta ? t(d(a)) : d(a), tb ? t(d(b)) : d(b));
                    String what = "gemm " + m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb;

                    // beta = 0: c's NaN must not leak through
                    float alpha = (float) (0.5 + r.rng().nextDouble());
                    Tensor c = poisoned(m, n);
                    backend().gemm(ta, tb, alpha, up(a), up(b), 0f, c);
                    double[][] expected = scaled(ab, alpha, null, 0);
                    assertClose(expected, down(c), tolerance(), r.tag(what + " alpha=" + alpha + " beta=0"));

                    // beta != 0 accumulates
                    Matrix c0 = gaussian(r, m, n);
                    Tensor c1 = up(c0);
                    backend().gemm(ta, tb, -1.5f, up(a), up(b), 0.75f, c1);
                    expected = scaled(ab, -1.5, d(c0), 0.75);
                    assertClose(expected, down(c1), tolerance(), r.tag(what + " alpha=-1.5 beta=0.75"));
                }
            }
        }
    }

    @Test
    default void gram() {
        Draw r = Draw.fresh();
        for (int[] nd : new int[][] {{41, 23}, {7, 37}, {1, 13}, {29, 1}, {67, 301}, {1000, 97}}) {
            Matrix x = gaussian(r, nd[0], nd[1]);
            double[][] xtx = mul(t(d(x)), d(x));
            Tensor c = poisoned(nd[1], nd[1]);
            backend().gram(up(x), 0f, c);
            assertClose(xtx, down(c), tolerance(), r.tag("gram " + x.shape() + " beta=0"));

            // The contract: c symmetric when beta != 0 (a blocked Gram accumulates into one).
            Matrix c0 = gaussian(r, nd[1], nd[1]);
            for (int i = 0; i < nd[1]; i++) {
                for (int j = 0; j < i; j++) {
                    c0.set(i, j, c0.get(j, i));
                }
            }
            Tensor c1 = up(c0);
            backend().gram(up(x), 0.5f, c1);
            assertClose(scaled(xtx, 1, d(c0), 0.5), down(c1), tolerance(), r.tag("gram " + x.shape() + " beta=0.5"));
        }
    }
}
