import ger.backend.Backend;
import ger.tensor.Tensor;
import ger.backend.cuda.CudaBackend;
import ger.tensor.Matrix;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Calls every CUDA backend operation on GER-sized shapes (n = 4096 samples, d = 1024 in, out = 1000,
 * k = 128), so that each of ger's kernels and library calls runs: once with "once" (for ncu and
 * compute-sanitizer), otherwise one warm-up then the median of 5 timed runs (CUDA events) per op.
 * Fixed seed 42. Compiled by bench/device/pack.sh; run by bench/device/run.sh.
 */
public final class KernelTour {
    public static void main(String[] args) {
        boolean once = args.length > 0 && args[0].equals("once");
        int n = 4096;
        int d = 1024;
        int out = 1000;
        int k = 128;
        Random r = new Random(42);
        try (CudaBackend b = new CudaBackend()) {
            System.out.println("# " + b + (once ? ", one pass" : ", median of 5 (ms)"));
            Tensor x = up(b, r, n, d);
            Tensor y = up(b, r, n, out);
            Tensor w = up(b, r, out, d);
            Tensor q = up(b, r, k, d);
            Tensor p = up(b, r, out, k);
            Tensor bias = up(b, r, 1, out);
            Tensor qh = b.allocate(n, k);
            Tensor o = b.allocate(n, out);
            Tensor gp = b.allocate(n, k);
            Tensor dq = b.allocate(k, d);
            Tensor dp = b.allocate(out, k);
            Tensor db = b.allocate(1, out);
            Tensor dh = b.allocate(n, d);
            Tensor gram = b.allocate(d, d);
            Tensor z = b.allocate(n, out);
            Tensor xt = b.allocate(d, n);
            Tensor rows = b.allocate(256, d);
            Tensor means = b.allocate(1, d);
            Tensor vel = b.allocate(out, d);
            b.fill(vel, 0f);
            Tensor spd = b.allocate(d, d);
            Tensor gw = up(b, r, out, d);
            Tensor qt = b.allocate(d, k); // tall
            b.transpose(q, qt);
            int[] batch = r.ints(256, 0, n).toArray();
            int[] labels = r.ints(n, 0, out).toArray();

            Map<String, Runnable> ops = new LinkedHashMap<>();
            ops.put("fill", () -> b.fill(z, 0.25f));
            ops.put("copyRows", () -> b.copyRows(x, 100, rows, 0, 256));
            ops.put("gatherRows", () -> b.gatherRows(x, batch, rows));
            ops.put("transpose", () -> b.transpose(x, xt));
            ops.put("gemm NT (x w^T)", () -> b.gemm(false, true, 1f, x, w, 0f, o));
            ops.put("gram (syrk + mirror)", () -> b.gram(x, 0f, gram));
            ops.put("gram beta=1 (gemm)", () -> b.gram(x, 1f, gram));
            ops.put("axpy", () -> b.axpy(0.5f, x, dh));
            ops.put("scale", () -> b.scale(dh, 0.5f));
            ops.put("addBiasRelu", () -> b.addBiasRelu(o, bias, true));
            ops.put("addRowVector", () -> b.addRowVector(x, -1f, means));
            ops.put("columnMeans", () -> b.columnMeans(x, means));
            ops.put("columnSums", () -> b.columnSums(o, db));
            ops.put("addDiagonal", () -> b.addDiagonal(gram, 1f));
            ops.put("trace", () -> b.trace(gram));
            ops.put("squaredError", () -> b.squaredError(o, y));
            ops.put("squaredNorm", () -> b.squaredNorm(o));
            ops.put("errorGradient", () -> b.errorGradient(o, y, 1f / n, z));
            ops.put("reluBackward", () -> b.reluBackward(z, o));
            ops.put("reluPenalty", () -> b.reluPenalty(y, o, 0.5f, z));
            ops.put("topkCorrect", () -> b.topkCorrect(o, labels, new int[] {1, 5}));
            ops.put("lowRankForward", () -> b.lowRankForward(x, q, p, bias, true, qh, o));
            ops.put("lowRankBackward", () -> b.lowRankBackward(x, q, p, qh, z, gp, dq, dp, db, dh));
            ops.put("sgdUpdate", () -> b.sgdUpdate(w, gw, vel, 1e-3f, 0.9f, 1e-4f));
            ops.put("cholesky", () -> {
                b.gram(x, 0f, spd);
                b.addDiagonal(spd, 1f);
                b.cholesky(spd);
            });
            ops.put("triangularSolve", () -> b.triangularSolve(spd, true, xt));
            ops.put("symmetricEigenTopK", () -> b.symmetricEigenTopK(gram, k).close());
            ops.put("svd wide (1000 x 1024)", () -> b.svd(w, k).close());
            ops.put("svd tall (1024 x 128)", () -> b.svd(qt, 16).close());

            for (Map.Entry<String, Runnable> op : ops.entrySet()) {
                try (Backend.Range range = b.range(op.getKey())) {
                    if (once) {
                        op.getValue().run();
                        b.synchronize();
                        System.out.println(op.getKey() + " ok");
                    } else {
                        op.getValue().run();
                        double[] ms = new double[5];
                        for (int i = 0; i < ms.length; i++) {
                            ms[i] = b.timeMillis(op.getValue());
                        }
                        Arrays.sort(ms);
                        System.out.printf("%-28s %9.3f ms%n", op.getKey(), ms[2]);
                    }
                }
            }
        }
    }

    private static Tensor up(Backend b, Random r, int rows, int cols) {
        try (Matrix m = Matrix.zeros(rows, cols)) {
            for (long i = 0; i < m.size(); i++) {
                m.setFlat(i, (float) (r.nextGaussian() * 0.1));
            }
            return b.upload(m);
        }
    }
}
