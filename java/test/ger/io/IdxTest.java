package ger.io;

import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static ger.io.IoTestFiles.assertFails;
import static ger.io.IoTestFiles.gzip;
import static ger.io.IoTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class IdxTest {
    @TempDir
    Path dir;

    /** An IDX file: 00 00 type ndims, big-endian int32 dims, data. */
    private static byte[] idx(int type, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(data).array();
    }

    @Test
    void imagesAndLabelsRawAndGzipped() throws IOException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int n = 1 + rnd.nextInt(20);
        int rows = 1 + rnd.nextInt(9);
        int cols = 1 + rnd.nextInt(9);
        byte[] pixels = new byte[n * rows * cols];
        rnd.nextBytes(pixels);
        byte[] labelBytes = new byte[n];
        for (int i = 0; i < n; i++) {
            labelBytes[i] = (byte) rnd.nextInt(256);
        }
        byte[] images = idx(0x08, new int[] {n, rows, cols}, pixels);
        byte[] labels = idx(0x08, new int[] {n}, labelBytes);
        for (boolean gz : new boolean[] {false, true}) {
            String what = (gz ? "gzip" : "raw") + ", seed " + seed;
            Path fi = write(dir.resolve(gz ? "images-idx3-ubyte.gz" : "images-idx3-ubyte"), gz ? gzip(images) : images);
            Path fl = write(dir.resolve(gz ? "labels-idx1-ubyte.gz" : "labels-idx1-ubyte"), gz ? gzip(labels) : labels);
            Matrix m = Idx.readImages(fi);
            assertEquals(n, m.rows(), what);
            assertEquals(rows * cols, m.cols(), what);
            for (int i = 0; i < pixels.length; i++) {
                assertEquals((pixels[i] & 0xff) / 255.0, m.getFlat(i), 1e-7, what + ", pixel " + i);
            }
            int[] expected = new int[n];
            for (int i = 0; i < n; i++) {
                expected[i] = labelBytes[i] & 0xff;
            }
            assertArrayEquals(expected, Idx.readLabels(fl), what);
            assertEquals(fi + ": IDX" + (gz ? " (gzip)" : "") + ", type ubyte, dims [" + n + ", " + rows + ", " + cols + "]\n",
                    ModelFiles.describe(fi));
        }
    }

    @Test
    void badMagic() throws IOException {
        byte[] bytes = idx(0x08, new int[] {2}, new byte[2]);
        bytes[0] = 7;
        Path f = write(dir.resolve("bad-ubyte"), bytes);
        assertFails(f, "bad magic", () -> Idx.readLabels(f));
    }

    @Test
    void unsupportedType() throws IOException {
        Path f = write(dir.resolve("float-ubyte"), idx(0x0D, new int[] {1, 2, 2}, new byte[16]));
        assertFails(f, "IDX type float not supported", () -> Idx.readImages(f));
    }

    @Test
    void wrongRank() throws IOException {
        Path images = write(dir.resolve("i-ubyte"), idx(0x08, new int[] {2, 2, 2}, new byte[8]));
        assertFails(images, "labels need 1 dimension", () -> Idx.readLabels(images));
        Path labels = write(dir.resolve("l-ubyte"), idx(0x08, new int[] {3}, new byte[3]));
        assertFails(labels, "images need at least 2 dimensions", () -> Idx.readImages(labels));
    }

    @Test
    void truncatedRawAndGzipped() throws IOException {
        byte[] full = idx(0x08, new int[] {3, 4, 5}, new byte[60]);
        byte[] shortData = Arrays.copyOf(full, full.length - 7);
        Path raw = write(dir.resolve("t-ubyte"), shortData);
        assertFails(raw, "truncated: dims [3, 4, 5] need 60 data bytes, the file has 53", () -> Idx.readImages(raw));
        Path gz = write(dir.resolve("t.gz"), gzip(shortData));
        assertFails(gz, "truncated", () -> Idx.readImages(gz));
        // A gzip stream cut short: the decoder runs out of input.
        byte[] zipped = gzip(full);
        Path cut = write(dir.resolve("cut.gz"), Arrays.copyOf(zipped, zipped.length / 2));
        assertFails(cut, "truncated", () -> Idx.readImages(cut));
        Path header = write(dir.resolve("h-ubyte"), Arrays.copyOf(full, 9));
        assertFails(header, "truncated", () -> Idx.readImages(header));
    }

    /** Dimensions whose product overflows a long, and no data: refused naming the file, raw or gzipped. */
    @Test
    void hugeDimsWithoutData() throws IOException {
        int[] huge = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
        Path raw = write(dir.resolve("huge-ubyte"), idx(0x08, huge, new byte[0]));
        assertFails(raw, "too large", () -> Idx.readImages(raw));
        Path gz = write(dir.resolve("huge.idx.gz"), gzip(idx(0x08, huge, new byte[0])));
        assertFails(gz, "too large", () -> Idx.readImages(gz));
        Path labels = write(dir.resolve("huge-labels-ubyte"), idx(0x08, new int[] {Integer.MAX_VALUE}, new byte[0]));
        assertFails(labels, "are too large", () -> Idx.readLabels(labels));
    }

    /** The gzip trailer is checked (the decoder checks it only when read to the end) and nothing may follow the data. */
    @Test
    void corruptGzipTrailerAndBytesAfterTheData() throws IOException {
        Random rnd = new Random(System.nanoTime());
        int n = 1 + rnd.nextInt(9);
        byte[] pixels = new byte[n * 4];
        rnd.nextBytes(pixels);
        byte[] images = idx(0x08, new int[] {n, 2, 2}, pixels);
        byte[] zipped = gzip(images);
        for (int at : new int[] {zipped.length - 1, zipped.length - 5}) {  // the length, then the CRC
            byte[] corrupt = zipped.clone();
            corrupt[at] ^= (byte) (1 + rnd.nextInt(255));
            Path f = write(dir.resolve("corrupt.gz"), corrupt);
            assertFails(f, "corrupt gzip data", () -> Idx.readImages(f));
        }
        Path garbage = write(dir.resolve("garbage.gz"), IoTestFiles.concat(zipped, "trailing".getBytes()));
        assertFails(garbage, "the gzip trailer (CRC-32 and length) does not match", () -> Idx.readImages(garbage));
        Path twoMembers = write(dir.resolve("two.gz"), IoTestFiles.concat(gzip(Arrays.copyOf(images, 10)),
                gzip(Arrays.copyOfRange(images, 10, images.length))));
        assertFails(twoMembers, "several gzip members", () -> Idx.readImages(twoMembers));
        Path rawExtra = write(dir.resolve("extra-ubyte"), IoTestFiles.concat(images, new byte[] {7, 7, 7}));
        assertFails(rawExtra, "3 bytes after the " + pixels.length + " data bytes", () -> Idx.readImages(rawExtra));
        Path gzExtra = write(dir.resolve("extra.gz"), gzip(IoTestFiles.concat(images, new byte[] {7})));
        assertFails(gzExtra, "1 bytes after the", () -> Idx.readImages(gzExtra));
    }
}
