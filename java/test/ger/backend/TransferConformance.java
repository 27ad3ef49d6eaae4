package ger.backend;

import ger.backend.Conformance.Draw;
import ger.backend.Conformance.RowBlock;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static ger.backend.Conformance.assertClose;
import static ger.backend.Conformance.d;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Moving tensors between host and device: upload, download, allocate, uploadRows, downloadRows, fill.
 * No portable kernel (the devices' own buffer copies). Reference: ger.backend.java.JavaBackend.
 */
public interface TransferConformance extends ConformanceFixture {

    @Test
    default void uploadDownloadAllocate() {
        Draw r = Draw.fresh();
        for (int[] shape : new int[][] {{37, 53}, {1, 29}, {31, 1}}) {
            Matrix host = gaussian(r, shape[0], shape[1]);
            Tensor t = up(host);
            assertEquals(host.shape(), t.shape(), r.tag("upload shape"));
            Matrix back = keep(Matrix.zeros(shape[0], shape[1]));
            backend().download(t, back);
            assertArrayEquals(host.toArray(), back.toArray(), r.tag("download into"));
            assertArrayEquals(host.toArray(), down(t).toArray(), r.tag("download"));
            Tensor a = keep(backend().allocate(shape[1], shape[0]));
            assertEquals(shape[1] + " x " + shape[0], a.shape(), r.tag("allocate shape"));
        }
    }

    @Test
    default void uploadRowsAndDownloadRows() {
        Draw r = Draw.fresh();
        Matrix host = gaussian(r, 37, 23);
        Matrix other = gaussian(r, 29, 23);
        RowBlock block = RowBlock.draw(r, 37, 29);
        int count = block.count();
        int srcRow = block.srcRow();
        int dstRow = block.dstRow();
        Tensor dstT = up(other);
        backend().uploadRows(host, srcRow, dstT, dstRow, count);
        assertClose(block.copied(d(host), d(other)), down(dstT), 0, r.tag(block.tag("uploadRows")));

        Matrix back = gaussian(r, 37, 23);
        double[][] expectedBack = d(back);
        backend().downloadRows(dstT, dstRow, back, srcRow, count);
        for (int i = 0; i < count; i++) {
            expectedBack[srcRow + i] = d(host)[srcRow + i];
        }
        assertClose(expectedBack, back, 0, r.tag("downloadRows " + dstRow + "+" + count + " -> " + srcRow));
        assertThrows(IllegalArgumentException.class, () -> backend().uploadRows(host, 30, dstT, 0, 8), r.tag("rows past the end"));
    }

    @Test
    default void fill() {
        Draw r = Draw.fresh();
        float value = (float) r.rng().nextGaussian();
        Tensor t = up(gaussian(r, 37, 53));
        backend().fill(t, value);
        double[][] expected = new double[37][53];
        for (double[] row : expected) {
            Arrays.fill(row, value);
        }
        assertClose(expected, down(t), 0, r.tag("fill " + value));
    }
}
