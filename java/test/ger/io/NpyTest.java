package ger.io;

import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static ger.io.IoTestFiles.assertFails;
import static ger.io.IoTestFiles.npy;
import static ger.io.IoTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class NpyTest {
    @TempDir
    Path dir;

    private static String dict(String descr, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    }

    /** Values of each dtype written by hand, read back and compared with the float64 originals. */
    @Test
    void readsF4F8I4I8InEveryVersion() throws IOException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int rows = 1 + rnd.nextInt(9);
        int cols = 1 + rnd.nextInt(13);
        int n = rows * cols;
        double[] real = new double[n];
        long[] ints = new long[n];
        for (int i = 0; i < n; i++) {
            real[i] = rnd.nextGaussian() * 100;
            ints[i] = rnd.nextInt(2_000_001) - 1_000_000;
        }
        String shape = "(" + rows + ", " + cols + ")";
        for (int major = 1; major <= 3; major++) {
            ByteBuffer f4 = IoTestFiles.le(4 * n);
            ByteBuffer f8 = IoTestFiles.le(8 * n);
            ByteBuffer i4 = IoTestFiles.le(4 * n);
            ByteBuffer i8 = IoTestFiles.le(8 * n);
            for (int i = 0; i < n; i++) {
                f4.putFloat((float) real[i]);
                f8.putDouble(real[i]);
                i4.putInt((int) ints[i]);
                i8.putLong(ints[i]);
            }
            String v = "v" + major + " seed " + seed;
            Matrix a = Npy.readMatrix(write(dir.resolve("f4.npy"), npy(major, dict("<f4", shape), f4.array())));
            Matrix b = Npy.readMatrix(write(dir.resolve("f8.npy"), npy(major, dict("<f8", shape), f8.array())));
            Matrix c = Npy.readMatrix(write(dir.resolve("i4.npy"), npy(major, dict("<i4", shape), i4.array())));
            Matrix d = Npy.readMatrix(write(dir.resolve("i8.npy"), npy(major, dict("<i8", shape), i8.array())));
            for (Matrix m : new Matrix[] {a, b, c, d}) {
                assertEquals(rows, m.rows(), v);
                assertEquals(cols, m.cols(), v);
            }
            for (int i = 0; i < n; i++) {
                assertEquals((float) real[i], a.getFlat(i), v);
                assertEquals((float) real[i], b.getFlat(i), v);
                assertEquals((float) ints[i], c.getFlat(i), v);
                assertEquals((float) ints[i], d.getFlat(i), v);
            }
        }
    }

    @Test
    void oneDimensionalIsOneRow() throws IOException {
        float[] v = {3, -1.5f, 2e-3f, 8};
        Path f = write(dir.resolve("v.npy"), npy(1, dict("<f4", "(4,)"), IoTestFiles.floatsLe(v)));
        Matrix m = Npy.readMatrix(f);
        assertEquals(1, m.rows());
        assertArrayEquals(v, m.toArray());
    }

    @Test
    void matrixAndLabelsRoundTrip() throws IOException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int rows = 1 + rnd.nextInt(40);
        int cols = 1 + rnd.nextInt(40);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        Path f = dir.resolve("out/x.npy");
        Npy.writeMatrix(f, Matrix.of(rows, cols, v));
        Matrix m = Npy.readMatrix(f);
        assertEquals(rows, m.rows(), "seed " + seed);
        assertArrayEquals(v, m.toArray(), "seed " + seed);
        assertEquals(0, (Files.size(f) - 4L * v.length) % 64, "the header is padded to 64 bytes, as NumPy does");

        int[] labels = rnd.ints(1 + rnd.nextInt(50), 0, 1000).toArray();
        Path l = dir.resolve("y.npy");
        Npy.writeLabels(l, labels);
        assertArrayEquals(labels, Npy.readLabels(l), "seed " + seed);
    }

    @Test
    void labelsFromColumnsBytesAndWholeFloats() throws IOException {
        Path col = write(dir.resolve("c.npy"), npy(1, dict("<i4", "(3, 1)"),
                IoTestFiles.le(12).putInt(4).putInt(0).putInt(9).array()));
        assertArrayEquals(new int[] {4, 0, 9}, Npy.readLabels(col));
        Path u1 = write(dir.resolve("u.npy"), npy(1, dict("|u1", "(3,)"), new byte[] {7, (byte) 200, 1}));
        assertArrayEquals(new int[] {7, 200, 1}, Npy.readLabels(u1));
        Path fl = write(dir.resolve("f.npy"), npy(1, dict("<f8", "(2,)"), IoTestFiles.doublesLe(new double[] {2, 5})));
        assertArrayEquals(new int[] {2, 5}, Npy.readLabels(fl));
    }

    // ---------------------------------------------------------------------------------------------
    // Bad files

    @Test
    void badMagic() throws IOException {
        byte[] bytes = npy(1, dict("<f4", "(1, 1)"), new byte[4]);
        bytes[1] = 'X';
        Path f = write(dir.resolve("m.npy"), bytes);
        assertFails(f, "bad magic", () -> Npy.readMatrix(f));
    }

    @Test
    void truncatedDataOrHeader() throws IOException {
        Path f = write(dir.resolve("t.npy"), npy(1, dict("<f4", "(3, 4)"), new byte[47]));
        assertFails(f, "truncated: shape (3, 4) of <f4 needs 48 data bytes, the file has 47", () -> Npy.readMatrix(f));
        byte[] full = npy(1, dict("<f4", "(3, 4)"), new byte[48]);
        Path g = write(dir.resolve("h.npy"), Arrays.copyOf(full, 40));
        assertFails(g, "truncated", () -> Npy.readMatrix(g));
        Path h = write(dir.resolve("e.npy"), new byte[] {(byte) 0x93, 'N'});
        assertFails(h, "truncated", () -> Npy.readMatrix(h));
    }

    @Test
    void fortranOrder() throws IOException {
        Path f = write(dir.resolve("fo.npy"), npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", new byte[24]));
        assertFails(f, "Fortran (column-major) order not supported", () -> Npy.readMatrix(f));
    }

    @Test
    void unsupportedAndBigEndianDtypes() throws IOException {
        Path c = write(dir.resolve("c16.npy"), npy(1, dict("<c16", "(1, 1)"), new byte[16]));
        assertFails(c, "dtype '<c16' not supported", () -> Npy.readMatrix(c));
        Path i2 = write(dir.resolve("i2.npy"), npy(1, dict("<i2", "(2,)"), new byte[4]));
        assertFails(i2, "dtype '<i2' not supported", () -> Npy.readLabels(i2));
        Path be = write(dir.resolve("be.npy"), npy(1, dict(">f4", "(1, 1)"), new byte[4]));
        assertFails(be, "big-endian dtype '>f4' not supported", () -> Npy.readMatrix(be));
        Path st = write(dir.resolve("st.npy"), npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[4]));
        assertFails(st, "structured dtype not supported", () -> Npy.readMatrix(st));
    }

    @Test
    void shapeNot2D() throws IOException {
        Path f = write(dir.resolve("3d.npy"), npy(1, dict("<f4", "(2, 2, 2)"), new byte[32]));
        assertFails(f, "shape (2, 2, 2) is not 2-D", () -> Npy.readMatrix(f));
        Path s = write(dir.resolve("0d.npy"), npy(1, dict("<f4", "()"), new byte[4]));
        assertFails(s, "shape () is not 2-D", () -> Npy.readMatrix(s));
        Path l = write(dir.resolve("l.npy"), npy(1, dict("<i8", "(2, 2)"), new byte[32]));
        assertFails(l, "labels have shape (2, 2)", () -> Npy.readLabels(l));
    }

    @Test
    void nanOrInfNamesRowAndColumn() throws IOException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int rows = 2 + rnd.nextInt(6);
        int cols = 2 + rnd.nextInt(6);
        int at = rnd.nextInt(rows * cols);
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextGaussian();
        }
        v[at] = Double.NaN;
        String shape = "(" + rows + ", " + cols + ")";
        Path f = write(dir.resolve("nan.npy"), npy(1, dict("<f8", shape), IoTestFiles.doublesLe(v)));
        assertFails(f, "element at row " + at / cols + ", col " + at % cols + " is NaN", () -> Npy.readMatrix(f));
        v[at] = 1e300;
        Path g = write(dir.resolve("big.npy"), npy(1, dict("<f8", shape), IoTestFiles.doublesLe(v)));
        assertFails(g, "row " + at / cols + ", col " + at % cols + " is 1.0E300, beyond float32's range", () -> Npy.readMatrix(g));
        float[] w = new float[rows * cols];
        w[at] = Float.NEGATIVE_INFINITY;
        Path h = write(dir.resolve("inf.npy"), npy(1, dict("<f4", shape), IoTestFiles.floatsLe(w)));
        assertFails(h, "row " + at / cols + ", col " + at % cols + " is -Infinity", () -> Npy.readMatrix(h));
    }

    @Test
    void badLabels() throws IOException {
        Path neg = write(dir.resolve("neg.npy"), npy(1, dict("<i8", "(3,)"), IoTestFiles.le(24).putLong(1).putLong(-1).putLong(2).array()));
        assertFails(neg, "label -1 at index 1 is negative", () -> Npy.readLabels(neg));
        Path frac = write(dir.resolve("frac.npy"), npy(1, dict("<f4", "(2,)"), IoTestFiles.floatsLe(new float[] {1, 2.5f})));
        assertFails(frac, "label 2.5 at index 1 is not a whole number", () -> Npy.readLabels(frac));
    }

    /** A shape whose byte count overflows a long, followed by a little data: refused as too large for the file. */
    @Test
    void hugeShapeWithLittleData() throws IOException {
        byte[] data = new byte[25_600];
        new Random(System.nanoTime()).nextBytes(data);
        Path f = write(dir.resolve("huge.npy"), npy(1, dict("<f4", "(2147483647, 2147483647)"), data));
        assertFails(f, "needs more than 2^63 data bytes, the file has 25600", () -> Npy.readMatrix(f));
        Path labels = write(dir.resolve("labels.npy"), npy(1, dict("<i8", "(2147483000,)"), data));
        assertFails(labels, "truncated", () -> Npy.readLabels(labels));
    }

    /** A dict without its closing brace, and a key given twice (NumPy would take the last): refused. */
    @Test
    void headerDictUnclosedOrWithARepeatedKey() throws IOException {
        byte[] data = IoTestFiles.floatsLe(new float[] {(float) new Random(System.nanoTime()).nextGaussian()});
        Path open = write(dir.resolve("open.npy"), npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), ", data));
        assertFails(open, "header is not a dict", () -> Npy.readMatrix(open));
        Path twice = write(dir.resolve("twice.npy"),
                npy(1, "{'descr': '<i4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", data));
        assertFails(twice, "header names a key twice", () -> Npy.readMatrix(twice));
        Path shapes = write(dir.resolve("shapes.npy"),
                npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), 'shape': (1,), }", data));
        assertFails(shapes, "header names a key twice", () -> Npy.readMatrix(shapes));
    }
}
