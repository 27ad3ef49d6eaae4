package ger.method.quantize;

import ger.GerException;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.tensor.Matrix;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Product quantisation of one FC layer (Gong et al. 2014; docs/method.md, "PQ"). The in columns of
 * W (out x in) split into in / s sub-spaces of s columns; in each sub-space k-means clusters the out
 * row sub-vectors; the layer stores the fp32 centroids and one byte code per row and sub-space.
 *
 * <p>Host-side on purpose: the sub-vectors have at most 8 dimensions, so k-means is cheap next to
 * the other methods, and a backend op would serve this one rival only. Sub-spaces run in parallel.
 */
public final class ProductQuantization {
    private ProductQuantization() {
    }

    /**
     * PQ of {@code layer} with sub-vectors of {@code subDim} columns and {@code centroids} centroids per
     * sub-space (256 for byte codes), k-means++ seeded from {@code seed + g} in sub-space g and at most
     * {@code maxIterations} Lloyd iterations. When in is not a multiple of subDim the last sub-space is
     * narrower (its centroids are stored padded with zeros to subDim). Returns the layer unchanged as
     * {@link CompressedLayer.Dense} when the codebooks and codes would not take fewer bits than fp32
     * weights (e.g. out <= centroids).
     */
    public static CompressedLayer compress(DenseLayer layer, int subDim, int centroids, int maxIterations, long seed) {
        int out = layer.out();
        int in = layer.in();
        if (subDim < 1) {
            throw new GerException("pq: the sub-vector dimension must be >= 1, got " + subDim);
        }
        if (centroids < 1 || centroids > 256) {
            throw new GerException("pq: " + centroids + " centroids per sub-space do not fit a byte code (1..256)");
        }
        if (maxIterations < 0) {
            throw new GerException("pq: the Lloyd iteration cap must be >= 0, got " + maxIterations);
        }
        if (layer.weight().firstNonFinite() >= 0) {
            throw new GerException("pq: layer " + layer.name() + " has a NaN or infinite weight");
        }
        if (storedBits(out, in, subDim, centroids) >= 32L * out * in) {
            return new CompressedLayer.Dense(layer.name(), layer.weight().copy(), layer.bias().copy());
        }
        int groups = CompressedLayer.ProductQuantized.groups(in, subDim);
        float[] w = layer.weight().toArray();
        float[] codebooks = new float[groups * centroids * subDim];
        byte[] codes = new byte[out * groups];
        IntStream.range(0, groups).parallel().forEach(g -> {
            int width = Math.min(subDim, in - g * subDim);
            float[] points = new float[out * width];
            for (int i = 0; i < out; i++) {
                System.arraycopy(w, i * in + g * subDim, points, i * width, width);
            }
            KMeans r = kMeans(points, width, centroids, maxIterations, new Random(seed + g));
            for (int c = 0; c < centroids; c++) {
                System.arraycopy(r.centroids(), c * width, codebooks, (g * centroids + c) * subDim, width);
            }
            for (int i = 0; i < out; i++) {
                codes[i * groups + g] = (byte) r.assignment()[i];
            }
        });
        return new CompressedLayer.ProductQuantized(layer.name(), in, out, subDim, centroids,
                Matrix.of(groups * centroids, subDim, codebooks), codes, layer.bias().copy());
    }

    /**
     * The bits PQ stores for W out x in: fp32 codebooks (ceil(in / subDim) * centroids * subDim floats,
     * the last sub-space padded) and one 8-bit code per row and sub-space; docs/method.md's
     * {@code 32 * 256 * n + 8 * m * n / s} when s divides n.
     */
    public static long storedBits(int out, int in, int subDim, int centroids) {
        long groups = CompressedLayer.ProductQuantized.groups(in, subDim);
        return 32L * groups * centroids * subDim + 8L * out * groups;
    }

    // ---------------------------------------------------------------- k-means

    /**
     * The result of {@link #kMeans}: centroids k x dim row-major, each point's centroid, the Lloyd
     * iterations run, and the sum of squared distances of the points to their centroids.
     */
    record KMeans(float[] centroids, int[] assignment, int iterations, double inertia) {
    }

    /**
     * k-means of n = points.length / dim points (row-major n x dim): k-means++ initialisation from
     * {@code random}, then Lloyd iterations until no assignment changes or {@code maxIterations} ran.
     * An empty cluster is re-seeded at the point farthest from its centroid. The returned assignment
     * is always a nearest centroid of the returned centroids.
     *
     * <p>Hamerly's bounds (SDM 2010) skip the distance scans of points that cannot have changed
     * cluster: an upper bound u on the distance to the own centroid and a lower bound l on the
     * distance to any other; after the centroids move by delta, u grows by the own centroid's delta
     * and l shrinks by the largest other delta. Late Lloyd iterations then cost O(n) instead of O(nk).
     */
    static KMeans kMeans(float[] points, int dim, int k, int maxIterations, Random random) {
        int n = points.length / dim;
        float[] centroids = initPlusPlus(points, dim, k, random);
        int[] assignment = new int[n];
        double[] upper = new double[n];
        double[] lower = new double[n];
        for (int i = 0; i < n; i++) {
            nearest(points, i, dim, centroids, k, assignment, upper, lower);
        }
        int iterations = 0;
        while (iterations < maxIterations) {
            iterations++;
            float[] before = centroids.clone();
            update(points, dim, centroids, k, assignment);
            double[] moved = new double[k];
            int fastest = 0;
            for (int c = 0; c < k; c++) {
                moved[c] = Math.sqrt(squaredDistance(before, c * dim, centroids, c * dim, dim));
                if (moved[c] > moved[fastest]) {
                    fastest = c;
                }
            }
            double secondFastest = 0;
            for (int c = 0; c < k; c++) {
                if (c != fastest) {
                    secondFastest = Math.max(secondFastest, moved[c]);
                }
            }
            double[] half = halfGaps(centroids, dim, k);
            int changes = 0;
            for (int i = 0; i < n; i++) {
                int a = assignment[i];
                upper[i] += moved[a];
                lower[i] -= a == fastest ? secondFastest : moved[fastest];
                double bound = Math.max(half[a], lower[i]);
                if (upper[i] <= bound) {
                    continue;
                }
                upper[i] = Math.sqrt(squaredDistance(points, i * dim, centroids, a * dim, dim));
                if (upper[i] <= bound) {
                    continue;
                }
                nearest(points, i, dim, centroids, k, assignment, upper, lower);
                if (assignment[i] != a) {
                    changes++;
                }
            }
            if (changes == 0) {
                break;
            }
        }
        double inertia = 0;
        for (int i = 0; i < n; i++) {
            inertia += squaredDistance(points, i * dim, centroids, assignment[i] * dim, dim);
        }
        return new KMeans(centroids, assignment, iterations, inertia);
    }

    /** k-means++: the first centroid uniform, each next one a point drawn with probability ~ D^2. */
    private static float[] initPlusPlus(float[] points, int dim, int k, Random random) {
        int n = points.length / dim;
        float[] centroids = new float[k * dim];
        double[] minD2 = new double[n];
        Arrays.fill(minD2, Double.POSITIVE_INFINITY);
        int chosen = random.nextInt(n);
        for (int c = 0; c < k; c++) {
            System.arraycopy(points, chosen * dim, centroids, c * dim, dim);
            double total = 0;
            for (int i = 0; i < n; i++) {
                minD2[i] = Math.min(minD2[i], squaredDistance(points, i * dim, centroids, c * dim, dim));
                total += minD2[i];
            }
            if (total == 0) {
                // fewer distinct points than centroids: the rest duplicate a point (their clusters stay empty)
                chosen = random.nextInt(n);
                continue;
            }
            double r = random.nextDouble() * total;
            chosen = n - 1;
            for (int i = 0; i < n; i++) {
                r -= minD2[i];
                if (r < 0 && minD2[i] > 0) {
                    chosen = i;
                    break;
                }
            }
            while (minD2[chosen] == 0) { // rounding ran past the end: take the last point not yet a centroid
                chosen--;
            }
        }
        return centroids;
    }

    /**
     * A full scan for point i: its nearest centroid into assignment, the distance to it into upper
     * and the distance to the second nearest into lower (Euclidean, not squared).
     */
    private static void nearest(float[] points, int i, int dim, float[] centroids, int k, int[] assignment,
                                double[] upper, double[] lower) {
        int best = 0;
        double bestD = Double.POSITIVE_INFINITY;
        double secondD = Double.POSITIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            double d = squaredDistance(points, i * dim, centroids, c * dim, dim);
            if (d < bestD) {
                secondD = bestD;
                bestD = d;
                best = c;
            } else if (d < secondD) {
                secondD = d;
            }
        }
        assignment[i] = best;
        upper[i] = Math.sqrt(bestD);
        lower[i] = Math.sqrt(secondD);
    }

    /** Half the distance from each centroid to its nearest other centroid (+inf for k = 1). */
    private static double[] halfGaps(float[] centroids, int dim, int k) {
        double[] half = new double[k];
        Arrays.fill(half, Double.POSITIVE_INFINITY);
        for (int c = 0; c < k; c++) {
            for (int e = c + 1; e < k; e++) {
                double d = 0.5 * Math.sqrt(squaredDistance(centroids, c * dim, centroids, e * dim, dim));
                half[c] = Math.min(half[c], d);
                half[e] = Math.min(half[e], d);
            }
        }
        return half;
    }

    /**
     * Each centroid to the mean of its points (rounded to float: the codebook's values); an empty
     * cluster moves to the point farthest from its own (new) centroid, which then leaves its cluster
     * at the next assignment, so the k-means cost never rises.
     */
    private static void update(float[] points, int dim, float[] centroids, int k, int[] assignment) {
        int n = points.length / dim;
        double[] sums = new double[k * dim];
        int[] counts = new int[k];
        for (int i = 0; i < n; i++) {
            int c = assignment[i];
            counts[c]++;
            for (int d = 0; d < dim; d++) {
                sums[c * dim + d] += points[i * dim + d];
            }
        }
        boolean anyEmpty = false;
        for (int c = 0; c < k; c++) {
            if (counts[c] == 0) {
                anyEmpty = true;
                continue;
            }
            for (int d = 0; d < dim; d++) {
                centroids[c * dim + d] = (float) (sums[c * dim + d] / counts[c]);
            }
        }
        if (!anyEmpty) {
            return;
        }
        double[] far = new double[n];
        for (int i = 0; i < n; i++) {
            far[i] = squaredDistance(points, i * dim, centroids, assignment[i] * dim, dim);
        }
        for (int c = 0; c < k; c++) {
            if (counts[c] > 0) {
                continue;
            }
            int farthest = 0;
            for (int i = 1; i < n; i++) {
                if (far[i] > far[farthest]) {
                    farthest = i;
                }
            }
            if (far[farthest] == 0) {
                return; // every point sits on a centroid: nothing to gain
            }
            System.arraycopy(points, farthest * dim, centroids, c * dim, dim);
            far[farthest] = 0;
        }
    }

    private static double squaredDistance(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        double s = 0;
        for (int d = 0; d < dim; d++) {
            double t = (double) a[aOffset + d] - b[bOffset + d];
            s += t * t;
        }
        return s;
    }
}
