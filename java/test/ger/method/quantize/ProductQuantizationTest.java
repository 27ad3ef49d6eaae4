package ger.method.quantize;

import ger.GerException;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProductQuantizationTest {
    /** Each test's own draw (JUnit makes an instance per test); failures name it. */
    private final long seed = System.nanoTime();
    private final Random random = new Random(seed);

    private static DenseLayer gaussianLayer(String name, int out, int in, Random random) {
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        float[] b = new float[out];
        for (int i = 0; i < out; i++) {
            b[i] = (float) random.nextGaussian();
        }
        return new DenseLayer(name, Matrix.of(out, in, w), Matrix.of(1, out, b));
    }

    private static float[] gaussianPoints(int n, int dim, Random random) {
        float[] p = new float[n * dim];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (random.nextGaussian() * (1 + i % 3));
        }
        return p;
    }

    private static double squaredDistance(float[] points, int i, float[] centroids, int c, int dim) {
        double s = 0;
        for (int d = 0; d < dim; d++) {
            double t = (double) points[i * dim + d] - centroids[c * dim + d];
            s += t * t;
        }
        return s;
    }

    @Test
    void rateAndStoredBitsMatchTheHandCount() {
        // More than 341 rows: below that PQ at s = 1 would store more bits than fp32 (24 m > 8192).
        int[][] shapes = {{512, 64}, {342 + random.nextInt(300), 8 * (3 + random.nextInt(8))}};
        for (int[] shape : shapes) {
            int m = shape[0];
            int n = shape[1];
            DenseLayer layer = gaussianLayer("fc", m, n, random);
            for (int s : new int[] {1, 2, 4, 8}) {
                // docs/method.md: fp32 codebooks of 256 centroids per sub-space, an 8-bit code per row and sub-space
                long bits = 32L * 256 * n + 8L * m * n / s;
                double rate = 32.0 * m * n / (32.0 * 256 * n + 8.0 * m * n / s);
                CompressedLayer c = ProductQuantization.compress(layer, s, 256, 20, seed);
                String where = "seed " + seed + ", W " + m + " x " + n + ", s = " + s;
                CompressedLayer.ProductQuantized pq = assertInstanceOf(CompressedLayer.ProductQuantized.class, c, where);
                assertEquals(bits, pq.storedWeightBits(), where);
                assertEquals(bits, ProductQuantization.storedBits(m, n, s, 256), where);
                assertEquals(rate, pq.rate(), 1e-12, where);
                assertEquals(n / s, pq.groups(), where);
                assertTrue(pq.bias().toArray().length == m && java.util.Arrays.equals(pq.bias().toArray(),
                        layer.bias().toArray()), where);
            }
        }
        // the hand count for 512 x 64 at s = 2: 32*256*64 + 8*512*32 = 524288 + 131072 bits
        assertEquals(655360L, ProductQuantization.storedBits(512, 64, 2, 256));
    }

    @Test
    void layersThatCannotSaveBitsStayDense() {
        for (int out : new int[] {10, 1 + random.nextInt(256), 256}) {
            DenseLayer layer = gaussianLayer("fc8", out, 16 * (1 + random.nextInt(4)), random);
            CompressedLayer c = ProductQuantization.compress(layer, 8, 256, 10, seed);
            CompressedLayer.Dense dense = assertInstanceOf(CompressedLayer.Dense.class, c, "seed " + seed + ", out " + out);
            assertTrue(java.util.Arrays.equals(layer.weight().toArray(), dense.weight().toArray()), "seed " + seed);
            assertEquals(1.0, dense.rate(), 0.0);
        }
    }

    @Test
    void badArgumentsAreUserErrors() {
        DenseLayer layer = gaussianLayer("fc6", 300, 30, new Random(1));
        assertThrows(GerException.class, () -> ProductQuantization.compress(layer, 0, 256, 10, 1));
        assertThrows(GerException.class, () -> ProductQuantization.compress(layer, 2, 257, 10, 1));
        assertThrows(GerException.class, () -> ProductQuantization.compress(layer, 2, 0, 10, 1));
        assertThrows(GerException.class, () -> ProductQuantization.compress(layer, 2, 16, -1, 1));
        layer.weight().set(3, 4, Float.NaN);
        assertThrows(GerException.class, () -> ProductQuantization.compress(layer, 2, 16, 10, 1));
    }

    @Test
    void asManyCentroidsAsDistinctRowsReconstructExactly() {
        int distinct = 3 + random.nextInt(5);
        int out = 41 + random.nextInt(30);
        // A width no sub-vector length below divides but 1: the last sub-space is narrower.
        int in = 13;
        DenseLayer prototypes = gaussianLayer("proto", distinct, in, random);
        Matrix w = Matrix.zeros(out, in);
        for (int i = 0; i < out; i++) {
            int p = i < distinct ? i : random.nextInt(distinct);
            for (int j = 0; j < in; j++) {
                w.set(i, j, prototypes.weight().get(p, j));
            }
        }
        DenseLayer layer = new DenseLayer("fc", w, Matrix.zeros(1, out));
        for (int s : new int[] {1, 2, 3, 4, 5}) {
            CompressedLayer c = ProductQuantization.compress(layer, s, distinct, 50, seed);
            assertInstanceOf(CompressedLayer.ProductQuantized.class, c);
            assertEquals((in + s - 1) / s, ((CompressedLayer.ProductQuantized) c).groups());
            assertTrue(java.util.Arrays.equals(w.toArray(), c.denseWeight().toArray()),
                    "seed " + seed + ", s = " + s + ", " + distinct + " distinct rows");
        }
        // more centroids than distinct points: still exact, the spare clusters stay empty
        float[] points = {1, 2, 1, 2, 3, 4, 1, 2, 3, 4};
        ProductQuantization.KMeans km = ProductQuantization.kMeans(points, 2, 4, 10, new Random(seed));
        assertEquals(0.0, km.inertia(), 0.0, "seed " + seed);
    }

    @Test
    void lloydNeverRaisesTheCostAndAssignsTheNearestCentroid() {
        for (int dim : new int[] {1, 2, 3, 8}) {
            int n = 200 + random.nextInt(200);
            int k = 10 + random.nextInt(30);
            float[] points = gaussianPoints(n, dim, random);
            long kmSeed = random.nextLong();
            double previous = Double.POSITIVE_INFINITY;
            int maxRun = 0;
            for (int iterations : new int[] {0, 1, 2, 3, 5, 8, 13, 200}) {
                ProductQuantization.KMeans km = ProductQuantization.kMeans(points, dim, k, iterations, new Random(kmSeed));
                String where = "seed " + seed + ", dim " + dim + ", n " + n + ", k " + k + ", iterations " + iterations;
                double cost = 0;
                for (int i = 0; i < n; i++) {
                    double own = squaredDistance(points, i, km.centroids(), km.assignment()[i], dim);
                    double best = Double.POSITIVE_INFINITY;
                    for (int c = 0; c < k; c++) {
                        best = Math.min(best, squaredDistance(points, i, km.centroids(), c, dim));
                    }
                    assertTrue(own <= best * (1 + 1e-12) + 1e-30, where + ": point " + i + " at " + own + ", nearest " + best);
                    cost += own;
                }
                assertEquals(cost, km.inertia(), 1e-9 * cost, where);
                assertTrue(cost <= previous * (1 + 1e-9), where + ": cost " + cost + " after " + previous);
                assertTrue(km.iterations() <= iterations, where);
                previous = cost;
                maxRun = km.iterations();
            }
            assertTrue(maxRun < 200, "seed " + seed + ": k-means did not converge in 200 iterations");
        }
    }

    @Test
    void codesAndCodebooksFollowTheRecordLayout() {
        int out = 70 + random.nextInt(40);
        int s = 2;
        int in = s * (3 + random.nextInt(5));
        int k = 16;
        DenseLayer layer = gaussianLayer("fc", out, in, random);
        CompressedLayer.ProductQuantized pq = assertInstanceOf(CompressedLayer.ProductQuantized.class,
                ProductQuantization.compress(layer, s, k, 30, seed));
        float[] w = layer.weight().toArray();
        Matrix rebuilt = pq.denseWeight();
        for (int g = 0; g < in / s; g++) {
            float[] points = new float[out * s];
            for (int i = 0; i < out; i++) {
                System.arraycopy(w, i * in + g * s, points, i * s, s);
            }
            // sub-space g is seeded with seed + g: the same k-means run gives the same reconstruction
            ProductQuantization.KMeans km = ProductQuantization.kMeans(points, s, k, 30, new Random(seed + g));
            double err = 0;
            for (int i = 0; i < out; i++) {
                for (int d = 0; d < s; d++) {
                    double t = (double) rebuilt.get(i, g * s + d) - w[i * in + g * s + d];
                    err += t * t;
                }
            }
            assertEquals(km.inertia(), err, 1e-9 * km.inertia(), "seed " + seed + ", sub-space " + g);
        }
    }
}
