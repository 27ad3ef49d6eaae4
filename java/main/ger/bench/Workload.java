package ger.bench;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.java.JavaBackend;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The shared synthetic workload of the GPU benchmark: an FC stack (fc6, fc7, fc8) with decaying
 * weight spectra and non-negative, ReLU-like calibration inputs, a pure function of (name, n, seed).
 * Its Python twin is bench/peer/workload.py; the recipe is bench/peer/WORKLOAD.md.
 *
 * <p>Every random number is element {@code index} of a counter-based SplitMix64 stream
 * ({@link #splitMix}), so the random factors and every element-wise term are bit-for-bit equal in
 * Java and Python; the dense products are GEMMs on the given backend (weights
 * {@code W = alpha (A diag(s)) B}, inputs {@code relu(alpha G C + 0.1) + 0.05 U}), equal across
 * languages up to float32 summation order.
 *
 * @param model fc6, fc7, fc8 (weights out x in, host)
 * @param calib calibration inputs, n x d_0, every element >= 0 (host)
 */
public record Workload(String name, int n, long seed, FcStack model, Matrix calib) implements AutoCloseable {

    /** The shapes d_0 .. d_3 of each workload: input feature, fc6, fc7 and fc8 outputs. */
    public static int[] dims(String name) {
        return switch (name) {
            case "vgg19" -> new int[] {25088, 4096, 4096, 1000};
            case "alexnet" -> new int[] {9216, 4096, 4096, 1000};
            case "small" -> new int[] {512, 256, 256, 10};
            default -> throw new GerException("unknown workload '" + name + "': expected vgg19, alexnet or small");
        };
    }

    static final List<String> LAYER_NAMES = List.of("fc6", "fc7", "fc8");
    static final int MAX_WEIGHT_RANK = 512;
    static final int INPUT_RANK = 256;
    static final double SPECTRUM_DECAY = 0.7;
    static final float BIAS_SCALE = 0.1f;
    static final float INPUT_SHIFT = 0.1f;
    static final float INPUT_NOISE = 0.05f;
    static final long STREAM_INPUT_G = 1001;
    static final long STREAM_INPUT_C = 1002;
    static final long STREAM_INPUT_NOISE = 1003;

    static long streamA(int layer) {
        return 16L * layer + 1;
    }

    static long streamB(int layer) {
        return 16L * layer + 2;
    }

    static long streamBias(int layer) {
        return 16L * layer + 3;
    }

    /** {@link #generate} on the pure-Java backend. */
    public static Workload of(String name, int n, long seed) {
        try (JavaBackend backend = new JavaBackend()) {
            return generate(backend, name, n, seed);
        }
    }

    /**
     * Generates the workload: the uniform factors on the host (in parallel), their products with
     * {@link Backend#gemm}, the results downloaded to host matrices.
     */
    public static Workload generate(Backend backend, String name, int n, long seed) {
        int[] d = dims(name);
        if (n < 1) {
            throw new GerException("workload " + name + ": n must be at least 1, got " + n);
        }
        List<DenseLayer> layers = new ArrayList<>();
        for (int l = 0; l < 3; l++) {
            layers.add(layer(backend, l, d[l + 1], d[l], seed));
        }
        return new Workload(name, n, seed, new FcStack(layers), inputs(backend, n, d[0], seed));
    }

    /** Weight rank r = min(out, in, 512). */
    static int weightRank(int out, int in) {
        return Math.min(Math.min(out, in), MAX_WEIGHT_RANK);
    }

    /** s_t = (t + 1)^-0.7, normalised to root-mean-square 1 (in double), as floats; length r. */
    static float[] spectrum(int r) {
        double[] s = new double[r];
        double sumSq = 0;
        for (int t = 0; t < r; t++) {
            s[t] = Math.pow(t + 1, -SPECTRUM_DECAY);
            sumSq += s[t] * s[t];
        }
        double rms = Math.sqrt(sumSq / r);
        float[] f = new float[r];
        for (int t = 0; t < r; t++) {
            f[t] = (float) (s[t] / rms);
        }
        return f;
    }

    /** W = alpha (A diag(s)) B, A: out x r, B: r x in; alpha = 3 sqrt(2 / (r in)) keeps relu activations O(1). */
    private static DenseLayer layer(Backend backend, int l, int out, int in, long seed) {
        int r = weightRank(out, in);
        float[] s = spectrum(r);
        Matrix weight = Matrix.zeros(out, in);
        try (Matrix a = uniform(seed, streamA(l), out, r, false);
             Matrix b = uniform(seed, streamB(l), r, in, false)) {
            IntStream.range(0, out).parallel().forEach(i -> {
                for (int t = 0; t < r; t++) {
                    a.set(i, t, a.get(i, t) * s[t]);
                }
            });
            product(backend, (float) (3.0 * Math.sqrt(2.0 / ((double) r * in))), a, b, weight);
        }
        Matrix bias = uniform(seed, streamBias(l), 1, out, false);
        for (int j = 0; j < out; j++) {
            bias.set(0, j, bias.get(0, j) * BIAS_SCALE);
        }
        return new DenseLayer(LAYER_NAMES.get(l), weight, bias);
    }

    /** x = relu(alpha G C + 0.1) + 0.05 u; G: n x r0, C: r0 x d0 in [-1, 1), u in [0, 1); alpha = 3 / sqrt(r0). */
    private static Matrix inputs(Backend backend, int n, int d0, long seed) {
        int r0 = Math.min(d0, INPUT_RANK);
        Matrix x = Matrix.zeros(n, d0);
        try (Matrix g = uniform(seed, STREAM_INPUT_G, n, r0, false);
             Matrix c = uniform(seed, STREAM_INPUT_C, r0, d0, false)) {
            product(backend, (float) (3.0 / Math.sqrt(r0)), g, c, x);
        }
        long key = streamKey(seed, STREAM_INPUT_NOISE);
        IntStream.range(0, n).parallel().forEach(i -> {
            long base = (long) i * d0;
            for (int j = 0; j < d0; j++) {
                float noise = INPUT_NOISE * unit(element(key, base + j));
                x.setFlat(base + j, Math.max(x.getFlat(base + j) + INPUT_SHIFT, 0f) + noise);
            }
        });
        return x;
    }

    /** dst = alpha a b on the backend, downloaded into the host matrix dst. */
    private static void product(Backend backend, float alpha, Matrix a, Matrix b, Matrix dst) {
        try (Tensor da = backend.upload(a);
             Tensor db = backend.upload(b);
             Tensor dc = backend.allocate(dst.rows(), dst.cols())) {
            backend.gemm(false, false, alpha, da, db, 0f, dc);
            backend.download(dc, dst);
        }
    }

    // ---------------------------------------------------------------- SplitMix64, counter-based

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** SplitMix64's output function. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The key of a stream: mix64(seed + GOLDEN (stream + 1)), all mod 2^64. */
    static long streamKey(long seed, long stream) {
        return mix64(seed + GOLDEN * (stream + 1));
    }

    private static long element(long key, long index) {
        return mix64(key + GOLDEN * (index + 1));
    }

    /** Element {@code index} of stream {@code stream}: the (index + 1)-th SplitMix64 output from state key. */
    public static long splitMix(long seed, long stream, long index) {
        return element(streamKey(seed, stream), index);
    }

    /** The top 24 bits as a float in [-1, 1): u 2^-23 - 1, exact. */
    static float plusMinusOne(long bits) {
        return (bits >>> 40) * 0x1.0p-23f - 1f;
    }

    /** The top 24 bits as a float in [0, 1): u 2^-24, exact. */
    static float unit(long bits) {
        return (bits >>> 40) * 0x1.0p-24f;
    }

    /** rows x cols, element (i, j) from stream index i cols + j, in [-1, 1) or, if unit, [0, 1). */
    static Matrix uniform(long seed, long stream, int rows, int cols, boolean unit) {
        Matrix m = Matrix.zeros(rows, cols);
        long key = streamKey(seed, stream);
        IntStream.range(0, rows).parallel().forEach(i -> {
            long base = (long) i * cols;
            for (int j = 0; j < cols; j++) {
                long bits = element(key, base + j);
                m.setFlat(base + j, unit ? unit(bits) : plusMinusOne(bits));
            }
        });
        return m;
    }

    @Override
    public void close() {
        for (DenseLayer layer : model.layers()) {
            layer.weight().close();
            layer.bias().close();
        }
        calib.close();
    }
}
