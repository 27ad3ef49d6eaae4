package ger.bench;

import ger.backend.Backend;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Ceilings measured on the same backend in the same run, and the FLOP floor of a global epoch. */
public final class Roofline {
    private Roofline() {
    }

    public static Map<String, Object> measure(Backend b, FcStack model, int n, int k, List<Map<String, Object>> phases) {
        Map<String, Object> r = new LinkedHashMap<>();
        int size = b.name().equals("java") ? 1024 : 8192;
        double gemmSeconds;
        try (Tensor a = b.allocate(size, size); Tensor c = b.allocate(size, size)) {
            b.fill(a, 0.5f);
            b.gemm(false, false, 1f, a, a, 0f, c); // warm-up
            gemmSeconds = time(b, 3, () -> b.gemm(false, false, 1f, a, a, 0f, c));
        }
        double sgemmFlops = 2.0 * size * size * size / gemmSeconds;
        r.put("sgemm_size", size);
        r.put("sgemm_tflops", sgemmFlops / 1e12);
        long rows = b.name().equals("java") ? 1 << 14 : 1 << 16;
        int cols = 4096;
        double copySeconds;
        double penaltySeconds;
        try (Tensor x = b.allocate((int) rows, cols); Tensor y = b.allocate((int) rows, cols); Tensor z = b.allocate((int) rows, cols)) {
            b.fill(x, 0.25f);
            b.fill(y, -0.5f);
            b.copyRows(x, 0, y, 0, (int) rows);
            copySeconds = time(b, 5, () -> b.copyRows(x, 0, y, 0, (int) rows));
            b.reluPenalty(x, y, 0.5f, z);
            penaltySeconds = time(b, 5, () -> b.reluPenalty(x, y, 0.5f, z));
        }
        double bytes = (double) rows * cols * Float.BYTES;
        double copyBandwidth = 2 * bytes / copySeconds;
        double penaltyBandwidth = 3 * bytes / penaltySeconds; // reads y' and A, writes z
        r.put("d2d_gbps", copyBandwidth / 1e9);
        r.put("relu_penalty_gbps", penaltyBandwidth / 1e9);
        r.put("relu_penalty_fraction_of_copy", penaltyBandwidth / copyBandwidth);
        double epochFlops = 0;
        for (int l = 0; l < model.depth(); l++) {
            DenseLayer d = model.layer(l);
            double forward = 2.0 * n * k * (d.in() + d.out());
            // backward: dP and delta P (2 n out k), dQ (2 n k in), dh (2 n k in) except below the lowest layer
            double backward = 2.0 * n * k * (2.0 * d.out() + (l == 0 ? 1 : 2) * d.in());
            epochFlops += forward + backward;
        }
        double floorMs = 1e3 * epochFlops / sgemmFlops;
        r.put("global_epoch_gflop", epochFlops / 1e9);
        r.put("global_epoch_floor_ms", floorMs);
        phases.stream().filter(p -> p.get("name").equals("global_epoch")).findFirst()
                .ifPresent(p -> r.put("global_epoch_over_floor", (Double) p.get("ms") / floorMs));
        return r;
    }

    private static double time(Backend b, int reps, Runnable work) {
        b.synchronize();
        long start = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            work.run();
        }
        b.synchronize();
        return (System.nanoTime() - start) * 1e-9 / reps;
    }
}
