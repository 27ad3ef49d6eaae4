package ger.backend.java;

import ger.tensor.Matrix;

import java.util.stream.IntStream;

/** c = alpha op(a) op(b) + beta c on host matrices. Plain loops over rows of c, in parallel. */
final class Gemm {
    private Gemm() {
    }

    static void gemm(boolean transA, boolean transB, float alpha, Matrix a, Matrix b, float beta, Matrix c) {
        int m = c.rows();
        int n = c.cols();
        int k = transA ? a.rows() : a.cols();
        IntStream.range(0, m).parallel().forEach(i -> {
            float[] row = new float[n];
            for (int p = 0; p < k; p++) {
                float aip = transA ? a.get(p, i) : a.get(i, p);
                if (aip == 0f) {
                    continue;
                }
                for (int j = 0; j < n; j++) {
                    row[j] += aip * (transB ? b.get(j, p) : b.get(p, j));
                }
            }
            for (int j = 0; j < n; j++) {
                float old = beta == 0f ? 0f : beta * c.get(i, j);
                c.set(i, j, alpha * row[j] + old);
            }
        });
    }
}
