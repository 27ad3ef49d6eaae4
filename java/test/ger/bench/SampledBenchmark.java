package ger.bench;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.util.Statistics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the JMH benchmarks here share: every call is sampled, in ms (the best call is what a shared
 * machine can show), their forks get the JVM flags the code needs, and their mains report each
 * benchmark's best and median call. JMH reads these annotations from the superclass; each benchmark
 * keeps its own warm-up, measurement and fork (its heap).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public abstract class SampledBenchmark {
    /** One benchmark's parameters and its best and median call in ms. */
    record Sample(BenchmarkParams params, double bestMs, double medianMs) {
    }

    /** Runs the benchmarks of one class, each parameter over the values given (the annotation's where none). */
    static List<Sample> run(Class<? extends SampledBenchmark> benchmarks, Map<String, String[]> params) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder().include(benchmarks.getSimpleName())
                .jvmArgsPrepend("--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector");
        params.forEach(options::param);
        List<Sample> samples = new ArrayList<>();
        for (RunResult r : new Runner(options.build()).run()) {
            Statistics s = r.getPrimaryResult().getStatistics();
            samples.add(new Sample(r.getParams(), s.getMin(), s.getPercentile(50)));
        }
        return samples;
    }
}
