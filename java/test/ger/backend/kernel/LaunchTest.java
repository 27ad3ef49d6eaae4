package ger.backend.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LaunchTest {
    @Test
    void stridedCoversEveryElementOrLoops() {
        assertEquals(1, Launch.strided(0).gridX(), "an empty launch still needs one block");
        assertEquals(1, Launch.strided(256).gridX());
        assertEquals(2, Launch.strided(257).gridX());
        long huge = 1L << 40;
        assertEquals(Launch.MAX_STRIDED_BLOCKS, Launch.strided(huge).gridX(), "grid-stride: capped, threads loop");
        long seed = System.nanoTime();
        Random r = new Random(seed);
        for (int t = 0; t < 1000; t++) {
            long n = 1 + (r.nextLong() >>> 30);
            Launch l = Launch.strided(n);
            long threads = (long) l.gridX() * l.blockX();
            assertTrue(threads >= n || l.gridX() == Launch.MAX_STRIDED_BLOCKS, "n = " + n + " (seed " + seed + ")");
            assertTrue(threads - n < l.blockX() || n == 0, "no block beyond the data, n = " + n + " (seed " + seed + ")");
        }
    }

    @Test
    void partialsFitTheirBuffer() {
        assertEquals(Launch.MAX_PARTIALS, Launch.partials(1L << 33, 1 << 20).gridX());
        assertEquals(3, Launch.partials(2 * 256 + 1, 792).gridX());
        // relu_penalty on an H200: 6 resident blocks on each of 132 SMs, one wave of 792, not 1024.
        assertEquals(792, Launch.partials(1L << 33, 6 * 132).gridX());
        assertEquals(1, Launch.partials(1L << 33, 0).gridX());
        assertEquals(Launch.BLOCK, Launch.singleBlock().blockX());
    }

    @Test
    void transposeTilesCoverTheMatrix() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        for (int t = 0; t < 200; t++) {
            int rows = 1 + r.nextInt(5000);
            int cols = 1 + r.nextInt(5000);
            Launch l = Launch.transpose(rows, cols);
            assertEquals(32 * 8, l.blockX() * l.blockY());
            assertTrue((long) l.gridX() * 32 >= cols && (long) (l.gridX() - 1) * 32 < cols, rows + " x " + cols + " seed " + seed);
            assertTrue((long) l.gridY() * 32 >= rows && (long) (l.gridY() - 1) * 32 < rows, rows + " x " + cols + " seed " + seed);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Launch.transpose(65535 * 32 + 1, 3));
        assertTrue(e.getMessage().contains("grid limit"), e.getMessage());
    }

    @Test
    void columnAndRowGeometries() {
        assertEquals(4, Launch.columnSums(10, 97).gridX());
        assertEquals(32, Launch.columnSums(10, 97).blockX());
        assertEquals(8, Launch.columnSums(10, 97).blockY());
        // The paper's shapes: a lambda iteration's Z (32,768 x 4096) in 8 slices of 4096 rows, fc6's
        // input in 2, a batch's delta (256 x 4096) in 4 of 64.
        assertEquals(8, Launch.columnSums(32768, 4096).gridY());
        assertEquals(2, Launch.columnSums(32768, 25088).gridY());
        assertEquals(4, Launch.columnSums(256, 4096).gridY());
        assertEquals(1, Launch.columnSums(0, 5).gridY());
        long seed = System.nanoTime();
        Random r = new Random(seed);
        for (int trial = 0; trial < 200; trial++) {
            int rows = r.nextInt(1 << r.nextInt(20)) + 1;
            int cols = r.nextInt(1 << r.nextInt(16)) + 1;
            Launch l = Launch.columnSums(rows, cols);
            int per = Launch.sliceRows(rows, l);
            String what = rows + " x " + cols + " (seed " + seed + ")";
            // Every row in exactly one slice: the slices reach the last row, and the last one is not empty.
            assertTrue((long) per * l.gridY() >= rows && (long) per * (l.gridY() - 1) < rows, what);
            assertTrue(l.gridY() <= 65535 && (long) l.gridX() * 32 >= cols, what);
        }
        assertEquals(38, Launch.lanesPerRow(301).gridX(), "8 rows per block of 256 threads");
    }

    @Test
    void rejectsImpossibleGeometry() {
        assertThrows(IllegalArgumentException.class, () -> new Launch(0, 1, 32, 1));
        assertThrows(IllegalArgumentException.class, () -> new Launch(1, 1, 64, 32));
    }
}
