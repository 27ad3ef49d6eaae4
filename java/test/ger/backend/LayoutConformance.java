package ger.backend;

import ger.backend.Conformance.Draw;
import ger.backend.Conformance.RowBlock;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.stream.IntStream;

import static ger.backend.Conformance.assertClose;
import static ger.backend.Conformance.d;
import static ger.backend.Conformance.t;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Moving elements between tensors: copyRows, gatherRows, transpose.
 * Kernels: kernels/portable/layout.h. Reference: ger.backend.java.Layout.
 */
public interface LayoutConformance extends ConformanceFixture {

    @Test
    default void copyRows() {
        Draw r = Draw.fresh();
        Matrix src = gaussian(r, 37, 23);
        Matrix dst = gaussian(r, 29, 23);
        RowBlock block = RowBlock.draw(r, 37, 29);
        Tensor dstT = up(dst);
        backend().copyRows(up(src), block.srcRow(), dstT, block.dstRow(), block.count());
        assertClose(block.copied(d(src), d(dst)), down(dstT), 0, r.tag(block.tag("copyRows")));
    }

    @Test
    default void gatherRows() {
        Draw r = Draw.fresh();
        Matrix src = gaussian(r, 41, 19);
        int[] rows = IntStream.range(0, 53).map(i -> r.rng().nextInt(41)).toArray(); // repeats on purpose
        Tensor dst = poisoned(rows.length, 19);
        backend().gatherRows(up(src), rows, dst);
        double[][] s = d(src);
        double[][] expected = Arrays.stream(rows).mapToObj(i -> s[i]).toArray(double[][]::new);
        assertClose(expected, down(dst), 0, r.tag("gatherRows"));
        // Every backend refuses an index outside src with the same message, before touching dst.
        int[] outside = rows.clone();
        outside[r.rng().nextInt(outside.length)] = r.rng().nextBoolean() ? -1 : 41;
        Tensor srcT = up(src);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend().gatherRows(srcT, outside, dst), r.tag("index outside src"));
        assertTrue(e.getMessage().startsWith("gatherRows: rows["), e.getMessage());
        assertClose(expected, down(dst), 0, r.tag("dst untouched by a refused gather"));
    }

    @Test
    default void transpose() {
        Draw r = Draw.fresh();
        for (int[] shape : new int[][] {{37, 53}, {1, 17}, {19, 1}, {130, 67}}) {
            Matrix src = gaussian(r, shape[0], shape[1]);
            Tensor dst = poisoned(shape[1], shape[0]);
            backend().transpose(up(src), dst);
            assertClose(t(d(src)), down(dst), 0, r.tag("transpose " + src.shape()));
        }
    }
}
