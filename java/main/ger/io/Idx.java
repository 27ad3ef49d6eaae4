package ger.io;

import ger.GerException;
import ger.tensor.Matrix;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The IDX format of MNIST and Fashion-MNIST, gzipped (magic 1f 8b) or not: the bytes 0x00 0x00, a
 * type (0x08 = unsigned byte, the only one ger reads), the number of dimensions, each dimension as a
 * big-endian int32, then the data, row-major.
 */
public final class Idx {
    private static final int UBYTE = 0x08;

    private Idx() {
    }

    /** A parsed header: whether the file is gzipped, the type code, the dimensions. */
    record Header(boolean gzip, int type, int[] dims) {
        /** The product of dims[from..]; a refusal naming the file when it does not fit in a long. */
        long product(Path file, int from) {
            long n = 1;
            for (int d = from; d < dims.length; d++) {
                if (dims[d] != 0 && n > Long.MAX_VALUE / dims[d]) {
                    throw GerException.inFile(file, "dims " + Arrays.toString(dims) + " are too large");
                }
                n *= dims[d];
            }
            return n;
        }

        String typeName() {
            return switch (type) {
                case 0x08 -> "ubyte";
                case 0x09 -> "byte";
                case 0x0B -> "short";
                case 0x0C -> "int";
                case 0x0D -> "float";
                case 0x0E -> "double";
                default -> String.format("unknown (0x%02x)", type);
            };
        }
    }

    /** Images: dims (n, rows, cols), or any (n, ...), as n x (rows * cols) with values / 255 in [0, 1]. */
    public static Matrix readImages(Path file) {
        return read(file, (h, in) -> {
            if (h.dims.length < 2) {
                throw GerException.inFile(file, "images need at least 2 dimensions (n, pixels...), found "
                        + Arrays.toString(h.dims) + ": is this a label file?");
            }
            long pixels = h.product(file, 1);
            if (pixels > Integer.MAX_VALUE) {
                throw GerException.inFile(file, "images of " + pixels + " pixels are too large");
            }
            byte[] data = body(file, in, h);
            Matrix m = Matrix.zeros(h.dims[0], (int) pixels);
            for (int i = 0; i < data.length; i++) {
                m.setFlat(i, Byte.toUnsignedInt(data[i]) / 255f);
            }
            return m;
        });
    }

    /** Labels: one dimension (n), unsigned bytes. */
    public static int[] readLabels(Path file) {
        return read(file, (h, in) -> {
            if (h.dims.length != 1) {
                throw GerException.inFile(file, "labels need 1 dimension, found " + Arrays.toString(h.dims)
                        + ": is this an image file?");
            }
            byte[] data = body(file, in, h);
            int[] labels = new int[data.length];
            for (int i = 0; i < data.length; i++) {
                labels[i] = Byte.toUnsignedInt(data[i]);
            }
            return labels;
        });
    }

    /** "IDX (gzip), type ubyte, dims [60000, 28, 28]". */
    static String describe(Path file) {
        return read(file, (h, in) -> file + ": IDX" + (h.gzip ? " (gzip)" : "") + ", type " + h.typeName()
                + ", dims " + Arrays.toString(h.dims) + "\n");
    }

    /** Whether a file starts with the gzip magic 1f 8b. */
    static boolean isGzip(InputStream in) throws IOException {
        in.mark(2);
        boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
        in.reset();
        return gzip;
    }

    @FunctionalInterface
    private interface Reader<T> {
        T read(Header header, InputStream data) throws IOException;
    }

    /** Opens the file (through a gzip decoder when it starts with 1f 8b), parses the header, hands on the rest. */
    private static <T> T read(Path file, Reader<T> reader) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            boolean gzip = isGzip(raw);
            try (InputStream in = gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw) {
                return reader.read(header(file, in, gzip), in);
            }
        } catch (EOFException e) {
            throw GerException.inFile(file, "truncated: the file ends early (" + e.getMessage() + ")");
        } catch (ZipException e) {
            throw GerException.inFile(file, "corrupt gzip data: " + e.getMessage());
        } catch (IOException e) {
            throw FileIo.readError(file, e);
        }
    }

    /** An EOFException here reaches {@link #read}, which reports the file as truncated. */
    private static Header header(Path file, InputStream in, boolean gzip) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int zero = data.readUnsignedShort();
        int type = data.readUnsignedByte();
        int ndims = data.readUnsignedByte();
        if (zero != 0 || ndims == 0) {
            throw GerException.inFile(file, "not an IDX file (bad magic: expected 00 00 type ndims)");
        }
        int[] dims = new int[ndims];
        for (int d = 0; d < ndims; d++) {
            dims[d] = data.readInt();
            if (dims[d] < 0) {
                throw GerException.inFile(file, "dimension " + d + " is " + Integer.toUnsignedLong(dims[d]) + ", too large");
            }
        }
        return new Header(gzip, type, dims);
    }

    /** All n * ... elements of an unsigned-byte file. */
    private static byte[] body(Path file, InputStream in, Header h) throws IOException {
        if (h.type != UBYTE) {
            throw GerException.inFile(file, "IDX type " + h.typeName() + " not supported (only ubyte, 0x08)");
        }
        long count = h.product(file, 0);
        if (count > Integer.MAX_VALUE - 8) {
            throw GerException.inFile(file, "dims " + Arrays.toString(h.dims) + " are too large");
        }
        byte[] data = in.readNBytes((int) count);
        if (data.length < count) {
            throw GerException.inFile(file, "truncated: dims " + Arrays.toString(h.dims) + " need " + count
                    + " data bytes, the file has " + data.length);
        }
        return data;
    }
}
