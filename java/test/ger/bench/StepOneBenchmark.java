package ger.bench;

import ger.method.as.StepOneProblem;
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

/**
 * One warm AS Step I on the java backend ({@link StepOneProblem}), with B = W^T Zc formed and as the
 * product, on VGG-19's fc6 scaled down by 8 in every dimension but the rows' ratio: n = 4096 rows,
 * d_in = 3136, d_out = 512, k = 32. The flop model (ger.method.as.WhitenedInput.StepOneCost, efficiency 1)
 * counts 14.1 against 8.8 GFLOP. Run with main (command in bench/results/step-one.md).
 */
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 3)
@Fork(value = 1, jvmArgsAppend = "-Xmx3g")
public class StepOneBenchmark extends SampledBenchmark {
    @Param({"4096"})
    public int n;
    @Param({"3136"})
    public int dIn;
    @Param({"512"})
    public int dOut;
    @Param({"32"})
    public int k;

    private StepOneProblem problem;

    @Setup(Level.Trial)
    public void setUp() {
        problem = new StepOneProblem(n, dIn, dOut, k, 12345);
        formed(); // the cold first call; every measured call is warm
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        problem.close();
    }

    @Benchmark
    public int formed() {
        return problem.run(false);
    }

    @Benchmark
    public int product() {
        return problem.run(true);
    }

    /** Runs both; prints the best and median call of each and the flop model's counts. */
    public static void main(String[] args) throws RunnerException {
        for (Sample s : run(StepOneBenchmark.class, Map.of())) {
            System.out.printf("%s: best %.1f ms, median %.1f ms%n", s.params().getBenchmark(), s.bestMs(), s.medianMs());
        }
    }
}
