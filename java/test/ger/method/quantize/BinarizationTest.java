package ger.method.quantize;

import ger.GerException;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BinarizationTest {
    /** Each test's own draw (JUnit makes an instance per test); failures name it. */
    private final long seed = System.nanoTime();
    private final Random random = new Random(seed);

    @Test
    void decodedWeightsAreTheRowScaleTimesTheSign() {
        for (int rep = 0; rep < 5; rep++) {
            int out = 1 + random.nextInt(40);
            int in = 1 + random.nextInt(50);
            Matrix w = Matrix.zeros(out, in);
            for (int i = 0; i < out; i++) {
                for (int j = 0; j < in; j++) {
                    w.set(i, j, random.nextInt(7) == 0 ? 0f : (float) (random.nextGaussian() * (1 + i)));
                }
            }
            Matrix bias = Matrix.zeros(1, out);
            bias.set(0, 0, 1.5f);
            CompressedLayer.Binarized bin = Binarization.compress(new DenseLayer("fc", w, bias));
            Matrix decoded = bin.denseWeight();
            String where = "seed " + seed + ", W " + out + " x " + in;
            for (int i = 0; i < out; i++) {
                double alpha = 0;
                for (int j = 0; j < in; j++) {
                    alpha += Math.abs((double) w.get(i, j));
                }
                alpha /= in;
                assertEquals(alpha, bin.scales().get(0, i), 1e-6 * alpha, where);
                for (int j = 0; j < in; j++) {
                    double expected = w.get(i, j) >= 0 ? alpha : -alpha; // sign(0) = +1
                    assertEquals(expected, decoded.get(i, j), 1e-6 * alpha, where + " at (" + i + ", " + j + ")");
                }
            }
            assertEquals(1.5f, bin.bias().get(0, 0), 0f);
        }
    }

    @Test
    void rateIsTheHandCount() {
        int out = 1 + random.nextInt(100);
        int in = 1 + random.nextInt(100);
        Matrix w = Matrix.zeros(out, in);
        w.set(0, 0, 1f);
        CompressedLayer.Binarized bin = Binarization.compress(new DenseLayer("fc", w, Matrix.zeros(1, out)));
        long bits = (long) out * 8 * ((in + 7) / 8) + 32L * out; // whole bytes per row + a scale per row
        assertEquals(bits, bin.storedWeightBits(), "seed " + seed);
        assertEquals(32.0 * out * in / bits, bin.rate(), 1e-12, "seed " + seed);
        // docs/method.md: a little under 32x on fc7-like shapes
        double fc7 = 32.0 * 4096 * 4096 / (4096L * 4096 + 32L * 4096);
        assertTrue(fc7 > 31 && fc7 < 32);
    }

    @Test
    void nonFiniteWeightIsAUserError() {
        Matrix w = Matrix.zeros(3, 5);
        w.set(2, 4, Float.POSITIVE_INFINITY);
        GerException e = assertThrows(GerException.class,
                () -> Binarization.compress(new DenseLayer("fc7", w, Matrix.zeros(1, 3))));
        assertTrue(e.getMessage().contains("fc7"), e.getMessage());
    }
}
