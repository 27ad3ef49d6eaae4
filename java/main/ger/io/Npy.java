package ger.io;

import ger.GerException;
import ger.tensor.Matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * NumPy's .npy format, versions 1.0, 2.0 and 3.0, C order only: the magic "\x93NUMPY", a version
 * (major, minor), a little-endian header length (2 bytes in 1.0, 4 in 2.0/3.0), a Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }} padded to a multiple of 64
 * bytes, then the data. dtypes: little-endian f4, f8, i4, i8, and u1.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*(['\"]([^'\"]*)['\"]|\\[)");
    private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** The element types ger reads; the descr without its byte-order character. */
    private enum Dtype {
        F4(4, ValueLayout.JAVA_FLOAT_UNALIGNED), F8(8, ValueLayout.JAVA_DOUBLE_UNALIGNED),
        I4(4, ValueLayout.JAVA_INT_UNALIGNED), I8(8, ValueLayout.JAVA_LONG_UNALIGNED),
        U1(1, ValueLayout.JAVA_BYTE);

        final int bytes;
        final ValueLayout layout;

        Dtype(int bytes, ValueLayout layout) {
            this.bytes = bytes;
            this.layout = layout.withOrder(ByteOrder.LITTLE_ENDIAN);
        }

        /** Element i of little-endian data, widened to double (exact for every type but i8 past 2^53). */
        double get(MemorySegment data, long i) {
            return switch (this) {
                case F4 -> data.getAtIndex((ValueLayout.OfFloat) layout, i);
                case F8 -> data.getAtIndex((ValueLayout.OfDouble) layout, i);
                case I4 -> data.getAtIndex((ValueLayout.OfInt) layout, i);
                case I8 -> data.getAtIndex((ValueLayout.OfLong) layout, i);
                case U1 -> Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, i));
            };
        }
    }

    /** A parsed header: the format version, the raw descr, the order flag, the shape, where the data starts. */
    record Header(int major, int minor, String descr, boolean fortranOrder, long[] shape, long dataOffset) {
        String shapeString() {
            return "(" + Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "))
                    + (shape.length == 1 ? ",)" : ")");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reading

    /**
     * A 2-D array as rows x cols, a 1-D array as 1 x n, converted to float32. NaN or infinite values
     * (also f8 values beyond float32's range) are an error naming the element's row and column.
     */
    public static Matrix readMatrix(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = FileIo.map(file, arena);
            Header h = header(file, all);
            Dtype dtype = dtype(file, h);
            long rows;
            long cols;
            switch (h.shape.length) {
                case 1 -> {
                    rows = 1;
                    cols = h.shape[0];
                }
                case 2 -> {
                    rows = h.shape[0];
                    cols = h.shape[1];
                }
                default -> throw GerException.inFile(file, "shape " + h.shapeString() + " is not 2-D (n x d)");
            }
            if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) {
                throw GerException.inFile(file, "shape " + h.shapeString() + " is too large for a matrix");
            }
            MemorySegment data = data(file, h, dtype, all);
            Matrix m = Matrix.zeros((int) rows, (int) cols);
            long n = m.size();
            if (dtype == Dtype.F4) {
                MemorySegment.copy(data, (ValueLayout.OfFloat) dtype.layout, 0, m.segment(), Matrix.FLOAT, 0, n);
            } else {
                for (long i = 0; i < n; i++) {
                    m.setFlat(i, (float) dtype.get(data, i));
                }
            }
            long bad = m.firstNonFinite();
            if (bad >= 0) {
                double v = dtype.get(data, bad);
                m.close();
                throw GerException.inFile(file, "element at row " + bad / cols + ", col " + bad % cols + " is " + v
                        + (Double.isFinite(v) ? ", beyond float32's range" : ": NaN/Inf values are not usable"));
            }
            return m;
        }
    }

    /**
     * Class labels: a 1-D array, or n x 1; integer dtypes, or float dtypes holding whole numbers.
     * Negative labels are an error.
     */
    public static int[] readLabels(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = FileIo.map(file, arena);
            Header h = header(file, all);
            Dtype dtype = dtype(file, h);
            if (!(h.shape.length == 1 || (h.shape.length == 2 && h.shape[1] == 1))) {
                throw GerException.inFile(file, "labels have shape " + h.shapeString() + ", expected (n,) or (n, 1)");
            }
            if (h.shape[0] > Integer.MAX_VALUE - 8) {
                throw GerException.inFile(file, "shape " + h.shapeString() + " is too large");
            }
            MemorySegment data = data(file, h, dtype, all);
            int[] labels = new int[(int) h.shape[0]];
            for (int i = 0; i < labels.length; i++) {
                double v = dtype.get(data, i);
                if (v != Math.rint(v)) {
                    throw GerException.inFile(file, "label " + v + " at index " + i + " is not a whole number");
                }
                if (v > Integer.MAX_VALUE) {
                    throw GerException.inFile(file, "label " + (long) v + " at index " + i + " is too large");
                }
                if (v < 0) {
                    throw GerException.inFile(file, "label " + (long) v + " at index " + i + " is negative");
                }
                labels[i] = (int) v;
            }
            return labels;
        }
    }

    /** Parses the magic, the version and the header dict; does not judge the dtype or the order. */
    static Header header(Path file, MemorySegment all) {
        long size = all.byteSize();
        if (size < 10) {
            throw GerException.inFile(file, "truncated: " + size + " bytes, too short for a .npy header");
        }
        if (!Arrays.equals(all.asSlice(0, 6).toArray(ValueLayout.JAVA_BYTE), MAGIC)) {
            throw GerException.inFile(file, "not a .npy file (bad magic, expected \\x93NUMPY)");
        }
        int major = Byte.toUnsignedInt(all.get(ValueLayout.JAVA_BYTE, 6));
        int minor = Byte.toUnsignedInt(all.get(ValueLayout.JAVA_BYTE, 7));
        long lengthAt;
        long length;
        switch (major) {
            case 1 -> {
                lengthAt = 10;
                length = Short.toUnsignedInt(all.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8));
            }
            case 2, 3 -> {
                if (size < 12) {
                    throw GerException.inFile(file, "truncated: " + size + " bytes, too short for a .npy header");
                }
                lengthAt = 12;
                length = Integer.toUnsignedLong(all.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8));
            }
            default -> throw GerException.inFile(file, ".npy version " + major + "." + minor + " not supported (1.0, 2.0, 3.0)");
        }
        if (lengthAt + length > size) {
            throw GerException.inFile(file, "truncated: the header needs " + length + " bytes, the file has "
                    + (size - lengthAt) + " after the length field");
        }
        String dict = new String(all.asSlice(lengthAt, length).toArray(ValueLayout.JAVA_BYTE),
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String literal = dict.strip();
        Matcher descr = DESCR.matcher(dict);
        Matcher fortran = FORTRAN.matcher(dict);
        Matcher shape = SHAPE.matcher(dict);
        if (!literal.startsWith("{") || !literal.endsWith("}") || !descr.find() || !fortran.find() || !shape.find()) {
            throw GerException.inFile(file, "header is not a dict with descr, fortran_order and shape: " + literal);
        }
        if (List.of(DESCR, FORTRAN, SHAPE).stream().anyMatch(key -> key.matcher(dict).results().count() > 1)) {
            throw GerException.inFile(file, "header names a key twice: " + literal);
        }
        if (descr.group(2) == null) {
            throw GerException.inFile(file, "structured dtype not supported (a plain numeric array is needed)");
        }
        long[] dims;
        try {
            dims = Arrays.stream(shape.group(1).split(","))
                    .map(String::strip).filter(s -> !s.isEmpty())
                    .mapToLong(s -> Long.parseLong(s.endsWith("L") ? s.substring(0, s.length() - 1) : s))
                    .toArray();
        } catch (NumberFormatException e) {
            throw GerException.inFile(file, "header shape (" + shape.group(1) + ") is not a tuple of integers");
        }
        if (Arrays.stream(dims).anyMatch(d -> d < 0)) {
            throw GerException.inFile(file, "header shape (" + shape.group(1) + ") has a negative dimension");
        }
        return new Header(major, minor, descr.group(2), fortran.group(1).equals("True"), dims, lengthAt + length);
    }

    /** The dtype of a C-order, little-endian array of a type ger reads; otherwise an error saying why. */
    private static Dtype dtype(Path file, Header h) {
        if (h.fortranOrder && h.shape.length > 1) {
            throw GerException.inFile(file, "Fortran (column-major) order not supported; save a C-order array "
                    + "(numpy.ascontiguousarray)");
        }
        String d = h.descr;
        if (d.length() < 2) {
            throw GerException.inFile(file, "dtype '" + d + "' not supported");
        }
        char order = d.charAt(0);
        String type = d.substring(1);
        if (order == '>' && !type.equals("u1")) {
            throw GerException.inFile(file, "big-endian dtype '" + d + "' not supported; save with "
                    + "arr.astype(arr.dtype.newbyteorder('<'))");
        }
        boolean littleOrNone = order == '<' || order == '|' || order == '>';
        Dtype dtype = switch (type) {
            case "f4" -> Dtype.F4;
            case "f8" -> Dtype.F8;
            case "i4" -> Dtype.I4;
            case "i8" -> Dtype.I8;
            case "u1" -> Dtype.U1;
            default -> null;
        };
        if (dtype == null || !littleOrNone) {
            throw GerException.inFile(file, "dtype '" + d + "' not supported (little-endian f4, f8, i4, i8 or u1)");
        }
        return dtype;
    }

    private static MemorySegment data(Path file, Header h, Dtype dtype, MemorySegment all) {
        long have = all.byteSize() - h.dataOffset;
        long needed;
        try {
            needed = Math.multiplyExact(SafeTensors.elementCount(h.shape), dtype.bytes);
        } catch (ArithmeticException e) {
            throw GerException.inFile(file, "shape " + h.shapeString() + " of " + h.descr + " needs more than 2^63 "
                    + "data bytes, the file has " + have);
        }
        if (have < needed) {
            throw GerException.inFile(file, "truncated: shape " + h.shapeString() + " of " + h.descr + " needs "
                    + needed + " data bytes, the file has " + have);
        }
        return all.asSlice(h.dataOffset, needed);
    }

    /** "npy v1.0, dtype <f4, shape (n, d), C order". */
    static String describe(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            Header h = header(file, FileIo.map(file, arena));
            return file + ": npy v" + h.major + "." + h.minor + ", dtype " + h.descr + ", shape " + h.shapeString()
                    + (h.fortranOrder ? ", Fortran order" : ", C order") + "\n";
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Writing

    /** {@code m} as a 2-D '<f4' array, atomically. */
    public static void writeMatrix(Path file, Matrix m) {
        write(file, "<f4", new long[] {m.rows(), m.cols()}, m.segment().asSlice(0, m.byteSize()));
    }

    /** Labels as a 1-D '<i8' array (NumPy's and PyTorch's default integer), atomically. */
    public static void writeLabels(Path file, int[] labels) {
        MemorySegment data = MemorySegment.ofArray(new byte[Math.multiplyExact(labels.length, Long.BYTES)]);
        for (int i = 0; i < labels.length; i++) {
            data.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, labels[i]);
        }
        write(file, "<i8", new long[] {labels.length}, data);
    }

    /** data: the array's little-endian bytes, C order. */
    private static void write(Path file, String descr, long[] shape, MemorySegment data) {
        String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims
                + (shape.length == 1 ? ",)" : ")") + ", }";
        // Version 1.0 keeps the header length in 2 bytes; past that, 2.0 has 4.
        int major = dict.length() + 1 + 64 > 0xFFFF ? 2 : 1;
        int prefix = MAGIC.length + 2 + (major == 1 ? 2 : 4);
        int total = (prefix + dict.length() + 1 + 63) / 64 * 64;
        String padded = dict + " ".repeat(total - prefix - dict.length() - 1) + "\n";
        ByteBuffer head = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            head.putShort((short) padded.length());
        } else {
            head.putInt(padded.length());
        }
        head.put(padded.getBytes(StandardCharsets.ISO_8859_1)).flip();
        AtomicFiles.write(file, temp -> {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                FileIo.writeFully(channel, head);
                FileIo.writeSegment(channel, data);
            }
        });
    }
}
