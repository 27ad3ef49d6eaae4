package ger.method;

import ger.backend.Backend;
import ger.backend.java.JavaBackend;
import ger.model.CompressedLayer;
import ger.model.FcStack;
import org.ejml.simple.SimpleMatrix;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LRD against Eckart-Young, and the rank rule. */
class LrdTest {
    private final Backend b = new JavaBackend();

    @Test
    void truncationErrorIsTheDroppedSingularValues() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        FcStack model = Fixtures.stack(r, 23, 17, 6);
        SimpleMatrix w = Fixtures.ejml(model.layer(0).weight());
        double[] s = Fixtures.singularValues(w);
        try (Lrd lrd = new Lrd(b, model)) {
            assertTrue(lrd.needsSvd(0));
            for (int k : new int[] {5, 2, 9}) { // 9 = the largest rank at which 17 x 23 shrinks
                CompressedLayer.LowRank layer = lrd.layer(0, k);
                assertFalse(lrd.needsSvd(0), "one SVD serves every k");
                assertEquals(k, layer.rank());
                SimpleMatrix p = Fixtures.ejml(layer.p());
                SimpleMatrix q = Fixtures.ejml(layer.q());
                double error = w.minus(p.mult(q)).normF();
                double dropped = 0;
                for (int i = k; i < s.length; i++) {
                    dropped += s[i] * s[i];
                }
                double total = w.normF() * w.normF();
                assertEquals(dropped, error * error, 1e-4 * dropped + 1e-6 * total, "k = " + k + ", seed " + seed);
                // Balanced: P^T P = Q Q^T = S_k.
                SimpleMatrix ptp = p.transpose().mult(p);
                SimpleMatrix qqt = q.mult(q.transpose());
                assertTrue(ptp.minus(qqt).normF() < 1e-4 * s[0], "balanced, seed " + seed);
                assertEquals(s[k - 1], ptp.get(k - 1, k - 1), 1e-4 * s[0], "seed " + seed);
                assertEquals(model.layer(0).bias().get(0, 3), layer.bias().get(0, 3));
            }
            assertThrows(IllegalArgumentException.class, () -> lrd.layer(0, 10));
        }
    }

    @Test
    void rankRule() {
        // 1000 x 4096 shrinks up to k = 803: 803 x 5096 = 4,092,088 < 4,096,000 <= 804 x 5096.
        assertEquals(803, RankRule.maxUsefulRank(1000, 4096));
        assertFalse(RankRule.staysDense(803, 1000, 4096));
        assertTrue(RankRule.staysDense(804, 1000, 4096));
        assertTrue(RankRule.staysDense(11, 10, 1000)); // k > min(out, in)
        assertTrue(RankRule.denseReason("fc8", 11, 10, 1000).contains("min(out, in) = 10"));
        assertTrue(RankRule.denseReason("fc8", 10, 10, 1000).contains("10 x (10 + 1000) >= 10 x 1000"));
        assertEquals(null, RankRule.denseReason("fc8", 9, 10, 1000));
        assertEquals(0, RankRule.maxUsefulRank(1, 5));
    }
}
