package ger.bench;

import ger.backend.java.JavaBackend;
import ger.tensor.Matrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The java backend's float32 GEMM, c = a b with a, b, c n x n (and a^T b, the Gram shape), on fixed
 * seeds. Run it with its main (see bench/results/java-gemm.md for the command); main prints the best
 * and the median call in GFLOP/s (sampled call by call, as the best is what a shared machine can show).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class GemmBenchmark {
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
        OptionsBuilder options = new OptionsBuilder();
        options.include(GemmBenchmark.class.getSimpleName());
        if (args.length > 0) {
            options.param("n", args);
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        for (RunResult r : results) {
            int size = Integer.parseInt(r.getParams().getParam("n"));
            double flop = 2.0 * size * size * size;
            double best = r.getPrimaryResult().getStatistics().getMin();
            double median = r.getPrimaryResult().getStatistics().getPercentile(50);
            System.out.printf("%s n=%d: best %.2f ms (%.1f GFLOP/s), median %.2f ms (%.1f GFLOP/s)%n",
                    r.getParams().getBenchmark(), size, best, flop / (best * 1e-3) / 1e9, median,
                    flop / (median * 1e-3) / 1e9);
        }
    }
}
