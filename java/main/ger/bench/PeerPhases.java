package ger.bench;

import ger.backend.ProfilingBackend;
import ger.model.DenseLayer;
import ger.model.FcStack;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The benchmark's phase times in ms, as {name, ms} entries under the peer's names (bench/README-peer.md). */
public final class PeerPhases {
    private PeerPhases() {
    }

    /** The peer's phase names (bench/README-peer.md) from the profiled ranges. */
    public static void addProfile(List<Map<String, Object>> phases, ProfilingBackend profiler, FcStack model) {
        Map<String, ProfilingBackend.Timing> t = profiler.timings();
        double gram = 0;
        double cholesky = 0;
        double asInit = 0;
        double iterSeconds = 0;
        int iterCalls = 0;
        for (DenseLayer d : model.layers()) {
            String layer = "layer " + d.name();
            double g = seconds(t, layer + "/gram " + d.name());
            double c = seconds(t, layer + "/cholesky " + d.name());
            gram += g;
            cholesky += c;
            add(phases, "gram_" + d.name(), g * 1e3);
            add(phases, "cholesky_" + d.name(), c * 1e3);
            double s = 0;
            int calls = 0;
            for (Map.Entry<String, ProfilingBackend.Timing> e : t.entrySet()) {
                if (e.getKey().startsWith(layer + "/lambda iteration ")) {
                    s += e.getValue().seconds();
                    calls += e.getValue().calls();
                }
            }
            if (calls > 0) {
                add(phases, "lambda_iteration_" + d.name(), 1e3 * s / calls);
            }
            iterSeconds += s;
            iterCalls += calls;
            double init = seconds(t, layer);
            asInit += init;
            add(phases, "init_" + d.name(), init * 1e3);
        }
        add(phases, "gram", gram * 1e3);
        add(phases, "cholesky", cholesky * 1e3);
        if (iterCalls > 0) {
            add(phases, "lambda_iteration", 1e3 * iterSeconds / iterCalls);
        }
        add(phases, "as_init", asInit * 1e3);
        add(phases, "balance", 1e3 * t.entrySet().stream().filter(e -> e.getKey().startsWith("balance "))
                .mapToDouble(e -> e.getValue().seconds()).sum());
        double epochs = 0;
        int epochCalls = 0;
        for (Map.Entry<String, ProfilingBackend.Timing> e : t.entrySet()) {
            if (e.getKey().startsWith("global stage/epoch ")) {
                epochs += e.getValue().seconds();
                epochCalls += e.getValue().calls();
            }
        }
        if (epochCalls > 0) {
            add(phases, "global_epoch", 1e3 * epochs / epochCalls);
        }
        add(phases, "global_stage", seconds(t, "global stage") * 1e3);
    }

    private static double seconds(Map<String, ProfilingBackend.Timing> t, String path) {
        ProfilingBackend.Timing timing = t.get(path);
        return timing == null ? 0 : timing.seconds();
    }

    public static void add(List<Map<String, Object>> phases, String name, double ms) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", name);
        p.put("ms", ms);
        phases.add(p);
    }
}
