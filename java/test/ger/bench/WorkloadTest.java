package ger.bench;

import ger.GerException;
import ger.backend.Svd;
import ger.backend.java.JavaBackend;
import ger.model.DenseLayer;
import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared workload: the SplitMix64 streams and the first values of the small workload against
 * fixtures printed by the independent numpy implementation (bench/peer/check_workload.py, seed 42),
 * plus the recipe's promises (shapes chain, inputs >= 0, activations O(1), decaying spectrum).
 */
class WorkloadTest {

    /** SplitMix64 on unsigned BigIntegers mod 2^64: an independent reference for the long arithmetic. */
    private static long reference(long seed, long stream, long index) {
        BigInteger mod = BigInteger.ONE.shiftLeft(64);
        BigInteger golden = new BigInteger("9E3779B97F4A7C15", 16);
        BigInteger key = mixReference(unsigned(seed).add(golden.multiply(BigInteger.valueOf(stream + 1))).mod(mod));
        return mixReference(key.add(golden.multiply(BigInteger.valueOf(index + 1))).mod(mod)).longValue();
    }

    private static BigInteger mixReference(BigInteger z) {
        BigInteger mod = BigInteger.ONE.shiftLeft(64);
        z = z.xor(z.shiftRight(30)).multiply(new BigInteger("BF58476D1CE4E5B9", 16)).mod(mod);
        z = z.xor(z.shiftRight(27)).multiply(new BigInteger("94D049BB133111EB", 16)).mod(mod);
        return z.xor(z.shiftRight(31));
    }

    private static BigInteger unsigned(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }

    @Test
    void splitMixMatchesNumpyFixtureAndThePublishedFirstOutput() {
        // SplitMix64 seeded with 0 first outputs 0xE220A8397B1DCDAF (the published reference value)
        assertEquals(0xE220A8397B1DCDAFL, Workload.mix64(0x9E3779B97F4A7C15L));
        long[][] numpy = {
                {0xFC991BCA1A1AA1AEL, 0x4F0482A72B57EE7DL, 0x81BA563D55228AB4L, 0xAF53D69C4EC853D9L, 0x9541BF146980306AL},
                {0x0018A66858653D4BL, 0xCB2F56B827242E3DL, 0x4371C8EAF8B8DEB7L, 0x150E6B960D3904B3L, 0xA5EDA7C5D96C64C8L},
                {0xFB687FCF4DA1F37DL, 0x18E07E8FFA1FB3F4L, 0x2B30797329AA7177L, 0x4034C1E9321835F5L, 0xF89502A403A05545L}};
        long[] streams = {1, 2, 1003};
        for (int s = 0; s < streams.length; s++) {
            for (int i = 0; i < 5; i++) {
                assertEquals(numpy[s][i], Workload.splitMix(42, streams[s], i), "stream " + streams[s] + " index " + i);
            }
        }
        float[] uniforms = {0.9734224081039429f, -0.3826749324798584f, 0.013499021530151367f,
                0.36974596977233887f, 0.1660689115524292f};
        for (int i = 0; i < 5; i++) {
            assertEquals(uniforms[i], Workload.plusMinusOne(Workload.splitMix(42, 1, i)), "uniform " + i);
        }
    }

    @Test
    void splitMixMatchesBigIntegerReferenceOnRandomArguments() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int trial = 0; trial < 200; trial++) {
            long s = random.nextLong();
            long stream = random.nextInt(2000);
            long index = random.nextLong() >>> 20;
            assertEquals(reference(s, stream, index), Workload.splitMix(s, stream, index),
                    "seed " + seed + ": splitMix(" + s + ", " + stream + ", " + index + ")");
        }
    }

    @Test
    void uniformsAreExactAndInRange() {
        assertEquals(-1f, Workload.plusMinusOne(0L));
        assertEquals(1f - 0x1.0p-23f, Workload.plusMinusOne(-1L));
        assertEquals(0f, Workload.unit(0L));
        assertEquals(1f - 0x1.0p-24f, Workload.unit(-1L));
    }

    @Test
    void smallWorkloadMatchesNumpyFixture() {
        try (Workload w = Workload.of("small", 64, 42)) {
            // biases are element-wise products: bit-exact
            float[][] bias = {
                    {-0.06014154106378555f, -0.003962862771004438f, -0.08694257587194443f, 0.02335285022854805f},
                    {-0.09196382015943527f, 0.0864114761352539f, -0.09070838987827301f, 0.024081159383058548f},
                    {-0.03797474130988121f, 0.03707979992032051f, 0.09069400280714035f, 0.05022106319665909f}};
            // weights and inputs went through a GEMM: float32 summation order differs
            float[][] weight = {
                    {-0.08963902294635773f, 0.12119624018669128f, -0.04824372008442879f, -0.10733316838741302f},
                    {-0.05505366995930672f, -0.1237679123878479f, 0.10127339512109756f, -0.02515263482928276f},
                    {0.09478083997964859f, -0.0007628738530911505f, 0.049628689885139465f, 0.06188850477337837f}};
            for (int l = 0; l < 3; l++) {
                DenseLayer layer = w.model().layer(l);
                for (int j = 0; j < 4; j++) {
                    assertEquals(bias[l][j], layer.bias().get(0, j), layer.name() + " bias " + j);
                    assertEquals(weight[l][j], layer.weight().get(0, j), 1e-6, layer.name() + " weight " + j);
                }
            }
            float[] calib = {0.04910316318273544f, 0.9168527126312256f, 0.008435419760644436f, 0.7479774951934814f};
            for (int j = 0; j < 4; j++) {
                assertEquals(calib[j], w.calib().get(0, j), 1e-5, "calib " + j);
            }
            assertEquals(1.0900001525878906f, w.calib().get(63, 511), 1e-5, "calib last");
        }
    }

    @Test
    void shapesChainInputsAreReluLikeAndActivationsStayOrderOne() {
        long seed = System.nanoTime();
        int n = 37 + new Random(seed).nextInt(40);
        try (Workload w = Workload.of("small", n, seed)) {
            assertEquals(512, w.model().inputDim(), "seed " + seed);
            assertEquals(10, w.model().outputDim(), "seed " + seed);
            assertEquals(n, w.calib().rows());
            float min = Float.MAX_VALUE;
            for (long i = 0; i < w.calib().size(); i++) {
                min = Math.min(min, w.calib().getFlat(i));
            }
            assertTrue(min >= 0, "seed " + seed + ": an input is negative: " + min);
            Matrix h = w.calib();
            for (int l = 0; l < w.model().depth(); l++) {
                DenseLayer layer = w.model().layer(l);
                Matrix a = forward(h, layer);
                double sumSq = 0;
                for (long i = 0; i < a.size(); i++) {
                    sumSq += (double) a.getFlat(i) * a.getFlat(i);
                }
                double rms = Math.sqrt(sumSq / a.size());
                assertTrue(rms > 0.2 && rms < 5, "seed " + seed + ": " + layer.name() + " pre-activation rms " + rms);
                if (w.model().hasRelu(l)) {
                    for (long i = 0; i < a.size(); i++) {
                        a.setFlat(i, Math.max(a.getFlat(i), 0f));
                    }
                }
                if (h != w.calib()) {
                    h.close();
                }
                h = a;
            }
            h.close();
        }
    }

    /** a = h W^T + b in double: h n x in, W out x in. */
    private static Matrix forward(Matrix h, DenseLayer layer) {
        Matrix a = Matrix.zeros(h.rows(), layer.out());
        for (int i = 0; i < h.rows(); i++) {
            for (int o = 0; o < layer.out(); o++) {
                double s = layer.bias().get(0, o);
                for (int j = 0; j < layer.in(); j++) {
                    s += (double) h.get(i, j) * layer.weight().get(o, j);
                }
                a.set(i, o, (float) s);
            }
        }
        return a;
    }

    @Test
    void weightSpectrumDecays() {
        long seed = System.nanoTime();
        try (Workload w = Workload.of("small", 8, seed); JavaBackend backend = new JavaBackend()) {
            for (int l = 0; l < 2; l++) {
                try (Svd svd = backend.svd(w.model().layer(l).weight(), 10)) {
                    double ratio = svd.s()[0] / svd.s()[9];
                    assertTrue(ratio > 2.5, "seed " + seed + ": layer " + l + " sigma_1 / sigma_10 = " + ratio);
                }
            }
        }
    }

    @Test
    void seedDeterminesTheWorkload() {
        long seed = System.nanoTime();
        try (Workload a = Workload.of("small", 5, seed);
             Workload b = Workload.of("small", 5, seed);
             Workload c = Workload.of("small", 5, seed + 1)) {
            assertArrayEquals(a.calib().toArray(), b.calib().toArray(), "seed " + seed);
            assertArrayEquals(a.model().layer(1).weight().toArray(), b.model().layer(1).weight().toArray());
            assertNotEquals(a.calib().get(0, 0), c.calib().get(0, 0), "seed " + seed);
        }
    }

    @Test
    void unknownNameOrBadSizeIsAUserError() {
        assertThrows(GerException.class, () -> Workload.of("resnet", 10, 1));
        assertThrows(GerException.class, () -> Workload.of("small", 0, 1));
    }
}
