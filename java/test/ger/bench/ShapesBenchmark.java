package ger.bench;

import ger.backend.java.JavaBackend;
import ger.tensor.Matrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.RunnerException;

import java.util.Map;
import java.util.Random;

/**
 * The java backend on the shapes the methods use (issue 12), beside bench/python/numpy_shapes.py on
 * the same list: the global stage's batch-256 GEMMs and their gradients at k = 128, AS's thin
 * GEMMs over 10,000 rows at k = 8, 32, 128, the Gram matrix of 10,000 x 1024 rows and the
 * whitening solve L^-1 (1024 x 10,000). A shape is OP:M:N:K, OP one of nn, nt, tn (c = op(a) op(b),
 * c M x N, reduction K), gram (x^T x, x M x N) or trsm (L N x N lower, b N x M).
 * main prints the best and the median call of each in ms and GFLOP/s.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx4g")
public class ShapesBenchmark extends SampledBenchmark {
    /** The shapes; bench/python/numpy_shapes.py holds the same list. */
    public static final String[] SHAPES = {
            "nt:256:128:784", "nt:256:1024:128", "tn:1024:128:256", "tn:128:784:256",
            "tn:10000:8:1024", "tn:10000:32:1024", "tn:10000:128:1024", "nn:1024:128:10000",
            "gram:10000:1024:0", "trsm:10000:1024:0"};

    @Param({"nt:256:128:784"})
    public String shape;

    private final JavaBackend backend = new JavaBackend();
    private String op;
    private Matrix a;
    private Matrix b;
    private Matrix c;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split(":");
        op = p[0];
        int m = Integer.parseInt(p[1]);
        int n = Integer.parseInt(p[2]);
        int k = Integer.parseInt(p[3]);
        Random rng = new Random(12345);
        switch (op) {
            case "gram" -> {
                a = random(rng, m, n);
                c = Matrix.zeros(n, n);
            }
            case "trsm" -> {
                a = lowerWellConditioned(rng, n);
                b = random(rng, n, m);
                c = b.copy();
            }
            default -> {
                a = op.charAt(0) == 't' ? random(rng, k, m) : random(rng, m, k);
                b = op.charAt(1) == 't' ? random(rng, n, k) : random(rng, k, n);
                c = Matrix.zeros(m, n);
            }
        }
    }

    private static Matrix random(Random rng, int rows, int cols) {
        Matrix x = Matrix.zeros(rows, cols);
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, (float) rng.nextGaussian());
        }
        return x;
    }

    /** A lower triangle with a dominant diagonal, so that repeated solves stay finite. */
    private static Matrix lowerWellConditioned(Random rng, int n) {
        Matrix l = Matrix.zeros(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                l.set(i, j, (float) (rng.nextGaussian() / n));
            }
            l.set(i, i, 1f);
        }
        return l;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        c.close();
        if (b != null) {
            b.close();
        }
    }

    @Benchmark
    public Matrix run() {
        switch (op) {
            case "gram" -> backend.gram(a, 0f, c);
            case "trsm" -> backend.triangularSolve(a, false, c); // in place, on a dominant diagonal: stays bounded
            default -> backend.gemm(op.charAt(0) == 't', op.charAt(1) == 't', 1f, a, b, 0f, c);
        }
        return c;
    }

    /** FLOPs of one call of a shape. */
    static double flop(String shape) {
        String[] p = shape.split(":");
        double m = Double.parseDouble(p[1]);
        double n = Double.parseDouble(p[2]);
        double k = Double.parseDouble(p[3]);
        return switch (p[0]) {
            case "gram" -> m * n * n; // the lower triangle, mirrored
            case "trsm" -> m * n * n;
            default -> 2 * m * n * k;
        };
    }

    /** Runs every shape (or the ones given as arguments). */
    public static void main(String[] args) throws RunnerException {
        for (Sample r : run(ShapesBenchmark.class, Map.of("shape", args.length > 0 ? args : SHAPES))) {
            String s = r.params().getParam("shape");
            System.out.printf("%-20s best %8.2f ms (%6.1f GFLOP/s), median %8.2f ms%n", s, r.bestMs(),
                    flop(s) / (r.bestMs() * 1e-3) / 1e9, r.medianMs());
        }
    }
}
