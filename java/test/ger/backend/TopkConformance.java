package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The top-k accuracy count: topkCorrect.
 * Kernel: kernels/portable/topk.h. Reference: ger.backend.java.Topk.
 */
public interface TopkConformance extends ConformanceFixture {

    @Test
    default void topkCorrect() {
        Draw r = Draw.fresh();
        int n = 301;
        int c = 13;
        Matrix logits = keep(Matrix.zeros(n, c));
        for (long i = 0; i < logits.size(); i++) {
            logits.setFlat(i, r.rng().nextInt(6) - 2); // few distinct values: many ties
        }
        int[] labels = IntStream.range(0, n).map(i -> r.rng().nextInt(c)).toArray();
        int[] ks = {1, 2, 5, c, c + 3};
        long[] expected = new long[ks.length];
        for (int i = 0; i < n; i++) {
            int row = i;
            // rank by value descending, the label after everything it ties with (ties count against)
            List<Integer> order = IntStream.range(0, c).boxed().sorted(
                    Comparator.<Integer>comparingDouble(j -> -logits.get(row, j))
                            .thenComparing(j -> j == labels[row] ? 1 : 0)).toList();
            int rank = order.indexOf(labels[i]);
            for (int q = 0; q < ks.length; q++) {
                if (rank < ks[q]) {
                    expected[q]++;
                }
            }
        }
        assertArrayEquals(expected, backend().topkCorrect(up(logits), labels, ks), r.tag("topkCorrect " + Arrays.toString(ks)));
    }
}
