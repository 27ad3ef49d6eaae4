package ger.io;

import ger.GerException;
import ger.tensor.Matrix;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32;
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
        return read(file, (h, body) -> {
            if (h.dims.length < 2) {
                throw GerException.inFile(file, "images need at least 2 dimensions (n, pixels...), found "
                        + Arrays.toString(h.dims) + ": is this a label file?");
            }
            long pixels = h.product(file, 1);
            if (pixels > Integer.MAX_VALUE) {
                throw GerException.inFile(file, "images of " + pixels + " pixels are too large");
            }
            byte[] data = body.elements(h);
            Matrix m = Matrix.zeros(h.dims[0], (int) pixels);
            for (int i = 0; i < data.length; i++) {
                m.setFlat(i, Byte.toUnsignedInt(data[i]) / 255f);
            }
            return m;
        });
    }

    /** Labels: one dimension (n), unsigned bytes. */
    public static int[] readLabels(Path file) {
        return read(file, (h, body) -> {
            if (h.dims.length != 1) {
                throw GerException.inFile(file, "labels need 1 dimension, found " + Arrays.toString(h.dims)
                        + ": is this an image file?");
            }
            byte[] data = body.elements(h);
            int[] labels = new int[data.length];
            for (int i = 0; i < data.length; i++) {
                labels[i] = Byte.toUnsignedInt(data[i]);
            }
            return labels;
        });
    }

    /** "IDX (gzip), type ubyte, dims [60000, 28, 28]". */
    static String describe(Path file) {
        return read(file, (h, body) -> file + ": IDX" + (h.gzip ? " (gzip)" : "") + ", type " + h.typeName()
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
        T read(Header header, Body body) throws IOException;
    }

    /** Opens the file (through a gzip decoder when it starts with 1f 8b), parses the header, hands on the rest. */
    private static <T> T read(Path file, Reader<T> reader) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            boolean gzip = isGzip(raw);
            try (Body body = new Body(file, gzip, gzip ? new GZIPInputStream(raw, 1 << 16) : raw)) {
                return reader.read(header(file, body, gzip), body);
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

    /**
     * The file's (decompressed) bytes, counted and checksummed as they pass: the whole file is read,
     * so that bytes after the data are refused and a gzip file's trailer (CRC-32 and length of the
     * data) is checked; the decoder checks it only when read to the end, and ignores bytes after it.
     */
    private static final class Body extends FilterInputStream {
        private final Path file;
        private final boolean gzip;
        private final CRC32 crc = new CRC32();
        private long count;

        Body(Path file, boolean gzip, InputStream in) {
            super(new BufferedInputStream(in, 1 << 16));
            this.file = file;
            this.gzip = gzip;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                crc.update(b);
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                crc.update(buffer, offset, n);
                count += n;
            }
            return n;
        }

        /** All n * ... elements of an unsigned-byte file, which must end there. */
        byte[] elements(Header h) throws IOException {
            if (h.type != UBYTE) {
                throw GerException.inFile(file, "IDX type " + h.typeName() + " not supported (only ubyte, 0x08)");
            }
            long needed = h.product(file, 0);
            if (needed > Integer.MAX_VALUE - 8) {
                throw GerException.inFile(file, "dims " + Arrays.toString(h.dims) + " are too large");
            }
            byte[] data = readNBytes((int) needed);
            if (data.length < needed) {
                throw GerException.inFile(file, "truncated: dims " + Arrays.toString(h.dims) + " need " + needed
                        + " data bytes, the file has " + data.length);
            }
            long extra = transferTo(OutputStream.nullOutputStream());
            if (extra > 0) {
                throw GerException.inFile(file, extra + " bytes after the " + needed + " data bytes that dims "
                        + Arrays.toString(h.dims) + " need");
            }
            if (gzip) {
                checkTrailer();
            }
            return data;
        }

        /** The last 8 bytes of a gzip file: CRC-32 and length (mod 2^32) of the data, little-endian. */
        private void checkTrailer() throws IOException {
            ByteBuffer trailer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                channel.read(trailer, channel.size() - 8);
            }
            if (Integer.toUnsignedLong(trailer.getInt(0)) != crc.getValue() || trailer.getInt(4) != (int) count) {
                throw GerException.inFile(file, "the gzip trailer (CRC-32 and length) does not match the data: "
                        + "bytes after the gzip data, several gzip members, or a corrupt file");
            }
        }
    }
}
