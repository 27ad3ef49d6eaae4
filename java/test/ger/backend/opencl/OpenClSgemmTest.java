package ger.backend.opencl;

import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The SGEMM kernel on sizes that are not multiples of its 64 x 64 x 16 tiles (several tiles plus
 * ragged edges in every dimension), every transpose case, against a float64 reference.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClSgemmTest {
    private OpenClBackend backend;

    @BeforeAll
    void open() {
        var probe = OpenClBackend.probe();
        Assumptions.assumeTrue(probe.available(), probe.detail());
        backend = new OpenClBackend();
    }

    @AfterAll
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @ParameterizedTest(name = "{0} x {1} x {2}, transA {3}, transB {4}")
    @CsvSource({
            "129, 67, 253, false, false",
            "129, 67, 253, false, true",
            "129, 67, 253, true, false",
            "129, 67, 253, true, true",
            "1, 65, 17, false, true",
            "70, 1, 3, true, false"})
    void matchesFloat64Reference(int m, int n, int k, boolean transA, boolean transB) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        float alpha = 0.5f + rng.nextFloat();
        float beta = rng.nextFloat() - 0.5f;
        try (Matrix a = gaussian(rng, transA ? k : m, transA ? m : k);
             Matrix b = gaussian(rng, transB ? n : k, transB ? k : n);
             Matrix c0 = gaussian(rng, m, n);
             Tensor da = backend.upload(a);
             Tensor db = backend.upload(b);
             Tensor dc = backend.upload(c0);
             Matrix got = Matrix.zeros(m, n)) {
            backend.gemm(transA, transB, alpha, da, db, beta, dc);
            backend.download(dc, got);
            double worst = 0;
            double scale = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double aip = transA ? a.get(p, i) : a.get(i, p);
                        double bpj = transB ? b.get(j, p) : b.get(p, j);
                        s += aip * bpj;
                    }
                    double expected = alpha * s + beta * (double) c0.get(i, j);
                    scale = Math.max(scale, Math.abs(expected));
                    double diff = Math.abs(got.get(i, j) - expected);
                    worst = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : Math.max(worst, diff);
                }
            }
            if (!(worst <= 1e-4 * scale)) {
                fail("sgemm " + m + " x " + n + " x " + k + " transA " + transA + " transB " + transB
                        + ": max |diff| " + worst + " vs max |expected| " + scale + " (seed " + seed + ")");
            }
        }
    }

    private static Matrix gaussian(Random rng, int rows, int cols) {
        Matrix x = Matrix.zeros(rows, cols);
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, (float) rng.nextGaussian());
        }
        return x;
    }
}
