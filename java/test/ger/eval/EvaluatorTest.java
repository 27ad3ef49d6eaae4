package ger.eval;

import ger.method.Forward;
import ger.GerException;
import ger.backend.Backend;
import ger.backend.java.JavaBackend;
import ger.method.quantize.Binarization;
import ger.method.quantize.ProductQuantization;
import ger.model.CompressedLayer;
import ger.model.CompressedModel;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvaluatorTest {
    private final Backend b = new JavaBackend();

    private static Matrix gaussian(int rows, int cols, double scale, Random random) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
        }
        return Matrix.of(rows, cols, v);
    }

    private static FcStack randomStack(int[] dims, Random random) {
        List<DenseLayer> layers = new ArrayList<>();
        for (int l = 0; l + 1 < dims.length; l++) {
            layers.add(new DenseLayer("fc" + l, gaussian(dims[l + 1], dims[l], 1 / Math.sqrt(dims[l]), random),
                    gaussian(1, dims[l + 1], 0.3, random)));
        }
        return new FcStack(layers);
    }

    /** Float64 host forward: x n x in, weights out x in (double), ReLU on all but the last. */
    private static double[][] reference(List<Matrix> weights, List<Matrix> biases, Matrix x) {
        double[][] h = new double[x.rows()][x.cols()];
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < x.cols(); j++) {
                h[i][j] = x.get(i, j);
            }
        }
        for (int l = 0; l < weights.size(); l++) {
            Matrix w = weights.get(l);
            double[][] a = new double[x.rows()][w.rows()];
            for (int i = 0; i < x.rows(); i++) {
                for (int o = 0; o < w.rows(); o++) {
                    double s = biases.get(l).get(0, o);
                    for (int j = 0; j < w.cols(); j++) {
                        s += (double) w.get(o, j) * h[i][j];
                    }
                    a[i][o] = l < weights.size() - 1 ? Math.max(0, s) : s;
                }
            }
            h = a;
        }
        return h;
    }

    private static double[][] reference(FcStack model, Matrix x) {
        return reference(model.layers().stream().map(DenseLayer::weight).toList(),
                model.layers().stream().map(DenseLayer::bias).toList(), x);
    }

    private static double[][] reference(CompressedModel model, Matrix x) {
        return reference(model.layers().stream().map(CompressedLayer::denseWeight).toList(),
                model.layers().stream().map(CompressedLayer::bias).toList(), x);
    }

    private static void assertClose(double[][] expected, Matrix actual, String where) {
        assertEquals(expected.length, actual.rows(), where);
        double scale = 0;
        for (double[] row : expected) {
            for (double v : row) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                assertEquals(expected[i][j], actual.get(i, j), 1e-5 * Math.max(1, scale), where + " at (" + i + ", " + j + ")");
            }
        }
    }

    /** A compressed model with one layer of every stored form. */
    private static CompressedModel mixedModel(FcStack original, Random random) {
        List<CompressedLayer> layers = new ArrayList<>();
        DenseLayer l0 = original.layer(0);
        int k = 3;
        layers.add(new CompressedLayer.LowRank(l0.name(), gaussian(l0.out(), k, 0.5, random),
                gaussian(k, l0.in(), 0.5, random), l0.bias()));
        layers.add(ProductQuantization.compress(original.layer(1), 1, 4, 20, random.nextLong()));
        layers.add(Binarization.compress(original.layer(2)));
        DenseLayer l3 = original.layer(3);
        layers.add(new CompressedLayer.Dense(l3.name(), l3.weight(), l3.bias()));
        return new CompressedModel(layers, Map.of("method", "mixed"));
    }

    /** How many entries of a row rank ahead of the label (ties count against). */
    private static int ahead(Matrix logits, int row, int label) {
        int above = 0;
        for (int j = 0; j < logits.cols(); j++) {
            if (j != label && logits.get(row, j) >= logits.get(row, label)) {
                above++;
            }
        }
        return above;
    }

    @Test
    void forwardMatchesAFloat64HostForward() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int[] dims = {17 + random.nextInt(20), 9 + random.nextInt(20), 11 + random.nextInt(10), 5 + random.nextInt(10), 7};
        FcStack model = randomStack(dims, random);
        Matrix x = gaussian(23 + random.nextInt(40), dims[0], 1, random);
        double[][] expected = reference(model, x);
        assertClose(expected, Forward.forward(b, model, x), "seed " + seed + ", one chunk");
        assertClose(expected, Forward.of(b, model).forward(x, 7), "seed " + seed + ", chunks of 7");

        CompressedModel compressed = mixedModel(model, random);
        assertTrue(compressed.layers().get(1) instanceof CompressedLayer.ProductQuantized);
        double[][] expectedCompressed = reference(compressed, x);
        assertClose(expectedCompressed, Forward.forward(b, compressed, x), "seed " + seed + ", compressed");
        assertClose(expectedCompressed, Forward.of(b, compressed).forward(x, 5), "seed " + seed + ", compressed, chunks of 5");
    }

    @Test
    void evaluationMatchesBruteForce() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int[] dims = {19, 13 + random.nextInt(10), 12, 8 + random.nextInt(5), 9};
        FcStack model = randomStack(dims, random);
        int n = 31 + random.nextInt(50);
        Matrix x = gaussian(n, dims[0], 1, random);
        int[] labels = random.ints(n, 0, 9).toArray();
        int[] ks = {1, 2, 5, 9};
        CompressedModel compressed = mixedModel(model, random);
        Matrix logits = Forward.forward(b, model, x);
        Matrix compressedLogits = Forward.forward(b, compressed, x);

        for (boolean withCompressed : new boolean[] {false, true}) {
            Matrix judged = withCompressed ? compressedLogits : logits;
            Evaluation e = Evaluator.evaluate(b, model, null, withCompressed ? compressed : null, x, labels, ks, 6);
            String where = "seed " + seed + (withCompressed ? ", compressed" : ", original");
            assertArrayEquals(ks, e.ks(), where);
            for (int q = 0; q < ks.length; q++) {
                int wrong = 0;
                for (int i = 0; i < n; i++) {
                    if (ahead(judged, i, labels[i]) >= ks[q]) {
                        wrong++;
                    }
                }
                assertEquals((double) wrong / n, e.topkError()[q], 1e-12, where + ", top-" + ks[q]);
            }
            double err = 0;
            double norm = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < logits.cols(); j++) {
                    double d = (double) judged.get(i, j) - logits.get(i, j);
                    err += d * d;
                    norm += (double) logits.get(i, j) * logits.get(i, j);
                }
            }
            assertEquals(Math.sqrt(err / norm), e.outputRelError(), 1e-9, where);
            assertEquals(withCompressed, e.outputRelError() > 0, where);
        }
        assertEquals(0.0, Evaluator.evaluate(b, model, null, x, labels, new int[] {9}).topkError()[0], 0.0,
                "seed " + seed + ": top-9 of 9 classes is never wrong");

        Evaluation unlabelled = Evaluator.evaluate(b, model, compressed, x, null, ks);
        assertEquals(0, unlabelled.ks().length);
        assertEquals(0, unlabelled.topkError().length);
        assertTrue(unlabelled.outputRelError() > 0, "seed " + seed);
    }

    @Test
    void givenOriginalOutputsGiveTheSameEvaluation() {
        // A sweep computes the original's logits once; every job's evaluation must equal the one that recomputes them.
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int[] dims = {19, 17, 12, 10, 9};
        FcStack model = randomStack(dims, random);
        int n = Evaluator.CHUNK_ROWS + 1 + random.nextInt(100); // two chunks
        Matrix x = gaussian(n, dims[0], 1, random);
        int[] labels = random.ints(n, 0, 9).toArray();
        int[] ks = {1, 5};
        CompressedModel compressed = mixedModel(model, random);
        try (Matrix outputs = Evaluator.originalOutputs(b, model, x)) {
            for (CompressedModel judged : new CompressedModel[] {null, compressed}) {
                Evaluation fresh = Evaluator.evaluate(b, model, judged, x, labels, ks);
                Evaluation given = Evaluator.evaluate(b, model, outputs, judged, x, labels, ks);
                assertArrayEquals(fresh.topkError(), given.topkError(), "seed " + seed);
                assertEquals(fresh.outputRelError(), given.outputRelError(), 0.0, "seed " + seed);
            }
        }
    }

    @Test
    void badInputsAreUserErrors() {
        Random random = new Random(7);
        FcStack model = randomStack(new int[] {6, 5, 4}, random);
        Matrix x = gaussian(10, 6, 1, random);
        int[] labels = random.ints(10, 0, 4).toArray();
        int[] ks = {1};

        GerException e = assertThrows(GerException.class,
                () -> Evaluator.evaluate(b, model, null, x, new int[9], ks));
        assertEquals("9 labels for 10 rows", e.getMessage());
        int[] outOfRange = labels.clone();
        outOfRange[3] = 4;
        e = assertThrows(GerException.class, () -> Evaluator.evaluate(b, model, null, x, outOfRange, ks));
        assertTrue(e.getMessage().contains("label 4"), e.getMessage());
        Matrix wide = gaussian(10, 7, 1, random);
        e = assertThrows(GerException.class, () -> Evaluator.evaluate(b, model, null, wide, labels, ks));
        assertTrue(e.getMessage().contains("7") && e.getMessage().contains("6"), e.getMessage());
        assertThrows(GerException.class, () -> Evaluator.evaluate(b, model, null, x, labels, new int[] {0}));
        assertThrows(GerException.class, () -> Evaluator.evaluate(b, model, null, x, labels, new int[] {5}));
        assertThrows(GerException.class, () -> Forward.forward(b, model, wide));

        FcStack other = randomStack(new int[] {6, 3, 4}, random);
        CompressedModel mismatched = new CompressedModel(other.layers().stream()
                .<CompressedLayer>map(l -> new CompressedLayer.Dense(l.name(), l.weight(), l.bias())).toList(), Map.of());
        e = assertThrows(GerException.class, () -> Evaluator.evaluate(b, model, mismatched, x, labels, ks));
        assertTrue(e.getMessage().contains("fc0"), e.getMessage());
    }
}
