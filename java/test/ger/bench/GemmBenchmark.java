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
 * The java backend's float32 GEMM, c = a b with a, b, c n x n (and a^T b, the Gram shape), on fixed
 * seeds. Run it with its main (see bench/results/java-gemm.md for the command); main prints the best
 * and the median call in GFLOP/s (sampled call by call, as the best is what a shared machine can show).
 */
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class GemmBenchmark extends SampledBenchmark {
    @Param({"1024"})
    public int n;

    private final JavaBackend backend = new JavaBackend();
    private Matrix a;
    private Matrix b;
    private Matrix c;

    @Setup(Level.Trial)
    public void setUp() {
        Random rng = new Random(12345);
        a = random(rng, n);
        b = random(rng, n);
        c = Matrix.zeros(n, n);
    }

    private static Matrix random(Random rng, int n) {
        Matrix m = Matrix.zeros(n, n);
        for (long i = 0; i < m.size(); i++) {
            m.setFlat(i, (float) rng.nextGaussian());
        }
        return m;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
    }

    @Benchmark
    public Matrix ab() {
        backend.gemm(false, false, 1f, a, b, 0f, c);
        return c;
    }

    @Benchmark
    public Matrix atb() {
        backend.gemm(true, false, 1f, a, b, 0f, c);
        return c;
    }

    /** Runs the benchmarks; arguments are sizes (default 1024). Prints ms and GFLOP/s for each. */
    public static void main(String[] args) throws RunnerException {
        for (Sample s : run(GemmBenchmark.class, args.length > 0 ? Map.of("n", args) : Map.of())) {
            int size = Integer.parseInt(s.params().getParam("n"));
            double flop = 2.0 * size * size * size;
            System.out.printf("%s n=%d: best %.2f ms (%.1f GFLOP/s), median %.2f ms (%.1f GFLOP/s)%n",
                    s.params().getBenchmark(), size, s.bestMs(), flop / (s.bestMs() * 1e-3) / 1e9, s.medianMs(),
                    flop / (s.medianMs() * 1e-3) / 1e9);
        }
    }
}
