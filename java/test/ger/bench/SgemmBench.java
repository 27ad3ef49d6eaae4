package ger.bench;

import ger.backend.Backend;
import ger.backend.java.JavaBackend;
import ger.backend.opencl.OpenClBackend;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import java.util.Random;

/**
 * SGEMM rate, c = a b at n x n x n, of the OpenCL backend (default device) and the java backend, in
 * GFLOP/s (2 n^3 flops per call). Fixed seed; warm-up calls first (they include PoCL's kernel
 * compilation), then the best and the mean of the timed calls.
 * Usage: SgemmBench [n] [reps] [backends]   (default 1024, 5, opencl,java)
 */
public final class SgemmBench {
    private SgemmBench() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String backends = args.length > 2 ? args[2] : "opencl,java";
        Random rng = new Random(42);
        try (Matrix a = Matrix.zeros(n, n); Matrix b = Matrix.zeros(n, n)) {
            for (long i = 0; i < a.size(); i++) {
                a.setFlat(i, (float) rng.nextGaussian());
                b.setFlat(i, (float) rng.nextGaussian());
            }
            if (backends.contains("opencl")) {
                try (OpenClBackend cl = new OpenClBackend()) {
                    run(cl, a, b, reps);
                }
            }
            if (backends.contains("java")) {
                try (JavaBackend java = new JavaBackend()) {
                    run(java, a, b, reps);
                }
            }
        }
    }

    private static void run(Backend backend, Matrix a, Matrix b, int reps) {
        int n = a.rows();
        try (Tensor da = backend.upload(a); Tensor db = backend.upload(b); Tensor dc = backend.allocate(n, n)) {
            for (int w = 0; w < 2; w++) {
                backend.gemm(false, false, 1f, da, db, 0f, dc);
            }
            backend.synchronize();
            double best = Double.MAX_VALUE;
            double total = 0;
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                backend.gemm(false, false, 1f, da, db, 0f, dc);
                backend.synchronize();
                double s = (System.nanoTime() - t0) * 1e-9;
                best = Math.min(best, s);
                total += s;
            }
            double flops = 2.0 * n * n * n;
            System.out.printf("%s on %s: %d^3 sgemm, best %.1f GFLOP/s (%.3f s), mean %.1f GFLOP/s over %d calls%n",
                    backend.name(), backend.device(), n, flops / best * 1e-9, best, flops / (total / reps) * 1e-9, reps);
        }
    }
}
