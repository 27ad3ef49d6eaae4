package ger.method;

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
 * One warm AS Step I on the java backend, with B = W^T Zc formed and as the product
 * ({@link WhitenedCoefficients}), on VGG-19's fc6 scaled down by 8 in every dimension but the
 * rows' ratio: n = 4096 rows, d_in = 3136, d_out = 512, k = 32. The flop model
 * ({@link WhitenedInput.StepOneCost}, efficiency 1) counts 14.1 against 8.8 GFLOP. Run with main (command in
 * bench/results/step-one.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class StepOneBenchmark {
    @Param({"4096"})
    public int n;
    @Param({"3136"})
    public int dIn;
    @Param({"512"})
    public int dOut;
    @Param({"32"})
    public int k;

    private final JavaBackend b = new JavaBackend();
    private Matrix wt;
    private Matrix z;
    private TopEigenvectors eigen;

    @Setup(Level.Trial)
    public void setUp() {
        Random rng = new Random(12345);
        wt = Fixtures.gaussian(rng, dIn, n, 1, 0);
        z = Fixtures.gaussian(rng, n, dOut, 1, 0);
        eigen = new TopEigenvectors(b, k, dIn, dOut, Options.EigenSolver.SUBSPACE);
        formed(); // the cold first call; every measured call is warm
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        eigen.close();
        wt.close();
        z.close();
    }

    @Benchmark
    public int formed() {
        return stepOne(false);
    }

    @Benchmark
    public int product() {
        return stepOne(true);
    }

    private int stepOne(boolean asProduct) {
        try (As.Factors f = WhitenedInput.reducedRankRegression(b, wt, z, b.allocate(1, dOut), eigen, asProduct)) {
            return f.bu().cols();
        }
    }

    /** Runs both; prints the best and median call of each and the flop model's counts. */
    public static void main(String[] args) throws RunnerException {
        Collection<RunResult> results = new Runner(new OptionsBuilder().include(StepOneBenchmark.class.getSimpleName()).build()).run();
        for (RunResult r : results) {
            System.out.printf("%s: best %.1f ms, median %.1f ms%n", r.getParams().getBenchmark(),
                    r.getPrimaryResult().getStatistics().getMin(), r.getPrimaryResult().getStatistics().getPercentile(50));
        }
    }
}
