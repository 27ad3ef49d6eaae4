package ger.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ger.GerException;
import ger.tensor.Matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
 * header {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 * "__metadata__": {str: str}}}, then the data; offsets count from the start of the data.
 *
 * <p>Reading maps the file: the entries' data are views of the mapping (freed by the garbage
 * collector), and {@link #matrix} copies one tensor into a new {@link Matrix}. ger assumes a
 * little-endian platform (x86-64, aarch64), where {@link Matrix}'s native floats are the file's.
 */
public final class SafeTensors {
    /**
     * One tensor: a safetensors dtype name ("F32", "U8", ...), its shape, and its raw little-endian
     * bytes (elements x dtype size of them).
     */
    public record Entry(String dtype, long[] shape, MemorySegment data) {
        public Entry {
            Integer size = DTYPE_BYTES.get(dtype);
            if (size == null) {
                throw new IllegalArgumentException("unknown safetensors dtype " + dtype);
            }
            shape = shape.clone();
            if (Arrays.stream(shape).anyMatch(d -> d < 0)) {
                throw new IllegalArgumentException("negative dimension in shape " + shapeString(shape));
            }
            long bytes = SafeTensors.elementCount(shape) * size;
            if (data.byteSize() != bytes) {
                throw new IllegalArgumentException(dtype + " " + shapeString(shape) + " needs " + bytes
                        + " bytes, got " + data.byteSize());
            }
        }

        /** A rows x cols matrix as a 2-D F32 tensor. The entry views the matrix's memory: keep it open until written. */
        public static Entry f32(Matrix m) {
            return f32(new long[] {m.rows(), m.cols()}, m);
        }

        /** A 1 x n matrix (a bias) as a 1-D F32 tensor of shape [n]. */
        public static Entry f32Vector(Matrix m) {
            if (m.rows() != 1) {
                throw new IllegalArgumentException("a vector must be 1 x n, got " + m.shape());
            }
            return f32(new long[] {m.cols()}, m);
        }

        /** The matrix's row-major elements under any shape with as many elements (codebooks: [groups, centroids, subDim]). */
        public static Entry f32(long[] shape, Matrix m) {
            return new Entry("F32", shape, m.segment().asSlice(0, m.byteSize()));
        }

        /** Unsigned bytes, row-major. */
        public static Entry u8(long[] shape, byte[] bytes) {
            return new Entry("U8", shape, MemorySegment.ofArray(bytes));
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public int rank() {
            return shape.length;
        }

        public long elementCount() {
            return SafeTensors.elementCount(shape);
        }

        @Override
        public String toString() {
            return dtype + " " + shapeString(shape);
        }
    }

    /** Element sizes of the dtypes the format defines; only F32/F16/BF16/F64 and U8 can be converted. */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1), Map.entry("F8_E4M3", 1),
            Map.entry("F8_E5M2", 1), Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("F16", 2),
            Map.entry("BF16", 2), Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("F32", 4),
            Map.entry("I64", 8), Map.entry("U64", 8), Map.entry("F64", 8));

    private static final String METADATA = "__metadata__";

    /** What a user who gave ger a PyTorch checkpoint (torch.save's zip, or an older bare pickle) can do. */
    static final String FROM_PYTORCH = "a PyTorch checkpoint (pickled), which ger does not unpickle; save the model "
            + "as safetensors in Python: from safetensors.torch import save_file; save_file(model.state_dict(), \"m.safetensors\")";

    /**
     * Whether a file's first bytes are a zip's (torch.save since PyTorch 1.6) or a pickle's (protocols
     * 2-5, before). Only asked of a file that is not safetensors: a safetensors header of 640 bytes
     * starts as a pickle does.
     */
    static boolean isPyTorch(byte[] head) {
        boolean zip = head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        boolean pickle = head.length >= 2 && head[0] == (byte) 0x80 && head[1] >= 2 && head[1] <= 5;
        return zip || pickle;
    }

    /** The reference implementation's limit; a larger header is a corrupt length field. */
    private static final long MAX_HEADER = 100_000_000;
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path file;
    private final Map<String, Entry> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, Map<String, Entry> tensors, Map<String, String> metadata) {
        this.file = file;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    // ---------------------------------------------------------------------------------------------
    // Reading

    /** Maps and validates {@code file}: header, dtypes, offsets. Float values are checked by {@link #matrix}. */
    public static SafeTensors read(Path file) {
        MemorySegment all = FileIo.map(file, Arena.ofAuto());
        long size = all.byteSize();
        if (size < 8) {
            throw GerException.inFile(file, "not a safetensors file: " + size
                    + " bytes, shorter than the 8-byte header length");
        }
        long headerLength = all.get(LONG_LE, 0);
        if (headerLength < 0 || headerLength > size - 8) {
            if (isPyTorch(all.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE))) {
                throw GerException.inFile(file, FROM_PYTORCH);
            }
            throw GerException.inFile(file, "header length " + Long.toUnsignedString(headerLength)
                    + " runs past the end of the file (" + size + " bytes): truncated or not safetensors");
        }
        if (headerLength > MAX_HEADER) {
            throw GerException.inFile(file, "header length " + headerLength + " is over the limit of " + MAX_HEADER);
        }
        JsonNode root;
        try {
            root = JSON.readTree(headerText(file, all.asSlice(8, headerLength)));
        } catch (JacksonException e) {
            throw GerException.inFile(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw GerException.inFile(file, "header is not a JSON object");
        }
        MemorySegment data = all.asSlice(8 + headerLength);
        Map<String, Entry> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Span> spans = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA)) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                tensors.put(field.getKey(), readEntry(file, field.getKey(), field.getValue(), data, spans));
            }
        }
        requireTiled(file, spans, data.byteSize());
        return new SafeTensors(file, tensors, metadata);
    }

    /**
     * The header as text: strict UTF-8 (no overlong or otherwise malformed sequences, which a lenient
     * decoder turns into other characters), no byte-order mark, starting with '{', as the reference
     * implementation requires.
     */
    private static String headerText(Path file, MemorySegment header) {
        byte[] bytes = header.toArray(ValueLayout.JAVA_BYTE);
        if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF) {
            throw GerException.inFile(file, "header starts with a UTF-8 byte-order mark, which safetensors does not allow");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw GerException.inFile(file, "header is not valid UTF-8: a malformed byte sequence at file offset "
                    + (8 + in.position()));
        }
        String text = out.flip().toString();
        if (!text.startsWith("{")) {
            throw GerException.inFile(file, "header is not a JSON object: it does not start with '{'");
        }
        return text;
    }

    /** Where a tensor's bytes lie in the data section: [begin, end). */
    private record Span(String name, long begin, long end) {
    }

    /**
     * The tensors' bytes, in offset order, must tile the data section: each begins where the one
     * before ends, the first at 0, the last at the end (no overlap, no hole, nothing left over).
     */
    private static void requireTiled(Path file, List<Span> spans, long dataBytes) {
        spans.sort(Comparator.comparingLong(Span::begin).thenComparingLong(Span::end));
        long covered = 0;
        String previous = null;
        for (Span s : spans) {
            if (s.begin < covered) {
                throw GerException.inFile(file, "tensor '" + s.name + "': data_offsets [" + s.begin + ", " + s.end
                        + "] overlap tensor '" + previous + "', which ends at " + covered);
            }
            if (s.begin > covered) {
                throw GerException.inFile(file, "tensor '" + s.name + "': data_offsets [" + s.begin + ", " + s.end
                        + "] leave bytes [" + covered + ", " + s.begin + ") of the data section to no tensor");
            }
            covered = s.end;
            previous = s.name;
        }
        if (covered != dataBytes) {
            throw GerException.inFile(file, "the tensors cover " + covered + " bytes of the data section, which has "
                    + dataBytes + ": " + (dataBytes - covered) + " bytes left over");
        }
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw GerException.inFile(file, METADATA + " is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> kv : node.properties()) {
            if (!kv.getValue().isTextual()) {
                throw GerException.inFile(file, METADATA + " value of '" + kv.getKey() + "' is not a string");
            }
            out.put(kv.getKey(), kv.getValue().textValue());
        }
    }

    private static Entry readEntry(Path file, String name, JsonNode node, MemorySegment data, List<Span> spans) {
        String where = "tensor '" + name + "': ";
        if (!node.isObject()) {
            throw GerException.inFile(file, where + "header entry is not a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw GerException.inFile(file, where + "no dtype string");
        }
        String dtype = dtypeNode.textValue();
        Integer elementBytes = DTYPE_BYTES.get(dtype);
        if (elementBytes == null) {
            throw GerException.inFile(file, where + "dtype " + dtype + " not supported (known: "
                    + DTYPE_BYTES.keySet().stream().sorted().collect(Collectors.joining(", ")) + ")");
        }
        long[] shape = naturals(file, where + "shape", node.get("shape"), -1);
        long[] offsets = naturals(file, where + "data_offsets", node.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > data.byteSize()) {
            throw GerException.inFile(file, where + "data_offsets [" + begin + ", " + end
                    + "] out of range: the data section has " + data.byteSize() + " bytes (truncated file?)");
        }
        long needed;
        try {
            needed = Math.multiplyExact(elementCount(shape), elementBytes);
        } catch (ArithmeticException e) {
            throw GerException.inFile(file, where + "shape " + shapeString(shape) + " is too large");
        }
        if (end - begin != needed) {
            throw GerException.inFile(file, where + "data_offsets [" + begin + ", " + end + "] hold "
                    + (end - begin) + " bytes, but " + dtype + " " + shapeString(shape) + " needs " + needed);
        }
        spans.add(new Span(name, begin, end));
        return new Entry(dtype, shape, data.asSlice(begin, needed));
    }

    /** A JSON array of non-negative integers (of the given length, unless it is -1). */
    private static long[] naturals(Path file, String what, JsonNode node, int length) {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw GerException.inFile(file, what + " is not an array" + (length >= 0 ? " of " + length + " integers" : ""));
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            // An integer literal only: 6144.0 is a float, which the format does not allow.
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw GerException.inFile(file, what + " holds " + v + ", not a non-negative integer");
            }
            values[i] = v.asLong();
        }
        return values;
    }

    public Path file() {
        return file;
    }

    /** Every tensor, in header order. */
    public Map<String, Entry> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor called {@code name}; a GerException naming the file and the tensor when there is none. */
    public Entry entry(String name) {
        Entry e = tensors.get(name);
        if (e == null) {
            throw GerException.inFile(file, "no tensor '" + name + "'");
        }
        return e;
    }

    /**
     * A float tensor (F32, F16, BF16 or F64, converted to float32) as a matrix: 2-D [r, c] as r x c,
     * 1-D [n] as 1 x n. NaN or infinite values are an error naming the tensor and the index.
     */
    public Matrix matrix(String name) {
        long[] shape = entry(name).shape;
        return switch (shape.length) {
            case 1 -> reshaped(name, 1, shape[0]);
            case 2 -> reshaped(name, shape[0], shape[1]);
            default -> throw GerException.inFile(file, "tensor '" + name + "' has shape " + shapeString(shape)
                    + ", expected 1-D or 2-D");
        };
    }

    /** A float tensor's row-major elements as rows x cols (rows * cols must be its element count). */
    Matrix reshaped(String name, long rows, long cols) {
        Entry e = entry(name);
        if (rows * cols != e.elementCount() || rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) {
            throw GerException.inFile(file, "tensor '" + name + "' of shape " + shapeString(e.shape)
                    + " cannot be read as a " + rows + " x " + cols + " matrix");
        }
        Matrix m = Matrix.zeros((int) rows, (int) cols);
        MemorySegment src = e.data;
        long n = m.size();
        switch (e.dtype) {
            case "F32" -> MemorySegment.copy(src, FLOAT_LE, 0, m.segment(), Matrix.FLOAT, 0, n);
            case "F64" -> {
                for (long i = 0; i < n; i++) {
                    m.setFlat(i, (float) src.getAtIndex(DOUBLE_LE, i));
                }
            }
            case "F16" -> {
                for (long i = 0; i < n; i++) {
                    m.setFlat(i, Float.float16ToFloat(src.getAtIndex(SHORT_LE, i)));
                }
            }
            case "BF16" -> {
                // bfloat16 is the top half of a float32.
                for (long i = 0; i < n; i++) {
                    m.setFlat(i, Float.intBitsToFloat(src.getAtIndex(SHORT_LE, i) << 16));
                }
            }
            default -> {
                m.close();
                throw GerException.inFile(file, "tensor '" + name + "' has dtype " + e.dtype
                        + ", expected a float dtype (F32, F16, BF16 or F64)");
            }
        }
        long bad = m.firstNonFinite();
        if (bad >= 0) {
            float v = m.getFlat(bad);
            m.close();
            throw GerException.inFile(file, "tensor '" + name + "' holds " + v + " at index "
                    + indexString(bad, e.shape) + ": NaN/Inf weights are not usable");
        }
        return m;
    }

    /** A U8 tensor's bytes, row-major. */
    public byte[] bytes(String name) {
        Entry e = entry(name);
        if (!e.dtype.equals("U8")) {
            throw GerException.inFile(file, "tensor '" + name + "' has dtype " + e.dtype + ", expected U8");
        }
        if (e.data.byteSize() > Integer.MAX_VALUE - 8) {
            throw GerException.inFile(file, "tensor '" + name + "' is too large for a byte array");
        }
        return e.data.toArray(ValueLayout.JAVA_BYTE);
    }

    /** One line per tensor (name, dtype, shape), then the metadata. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        long dataBytes = tensors.values().stream().mapToLong(e -> e.data.byteSize()).sum();
        sb.append(file).append(": safetensors, ").append(tensors.size()).append(" tensors, ")
                .append(dataBytes).append(" data bytes\n");
        int width = tensors.keySet().stream().mapToInt(String::length).max().orElse(0);
        tensors.forEach((name, e) -> sb.append("  ").append(name).append(" ".repeat(width - name.length()))
                .append("  ").append(e.dtype).append(' ').append(shapeString(e.shape)).append('\n'));
        if (!metadata.isEmpty()) {
            sb.append("metadata:\n");
            metadata.forEach((k, v) -> sb.append("  ").append(k).append(" = ").append(v).append('\n'));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------------------
    // Writing

    /**
     * Writes {@code tensors} (header in their iteration order) and {@code metadata} (sorted by key), atomically. In the
     * data section wider dtypes come first, so every tensor starts at a multiple of its element size;
     * the header is padded with spaces to a multiple of 8, as the reference implementation does.
     */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) {
        if (tensors.containsKey(METADATA)) {
            throw new IllegalArgumentException(METADATA + " is not a tensor name");
        }
        List<Map.Entry<String, Entry>> layout = tensors.entrySet().stream()
                .sorted(Comparator.comparingInt((Map.Entry<String, Entry> t) -> DTYPE_BYTES.get(t.getValue().dtype)).reversed())
                .toList();
        Map<String, Long> begins = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, Entry> t : layout) {
            begins.put(t.getKey(), offset);
            offset += t.getValue().data.byteSize();
        }
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            // Sorted keys: the same job gives the same bytes, whatever order its map happened to iterate in.
            ObjectNode meta = header.putObject(METADATA);
            new TreeMap<>(metadata).forEach(meta::put);
        }
        tensors.forEach((name, e) -> {
            ObjectNode node = header.putObject(name);
            node.put("dtype", e.dtype);
            ArrayNode shape = node.putArray("shape");
            Arrays.stream(e.shape).forEach(shape::add);
            long begin = begins.get(name);
            node.putArray("data_offsets").add(begin).add(begin + e.data.byteSize());
        });
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot serialise a safetensors header", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        AtomicFiles.write(file, temp -> {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                FileIo.writeFully(channel, head);
                for (Map.Entry<String, Entry> t : layout) {
                    FileIo.writeSegment(channel, t.getValue().data);
                }
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Shapes

    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    static String shapeString(long[] shape) {
        return Arrays.toString(shape);
    }

    /** A flat row-major index as [i, j, ...] in {@code shape}. */
    static String indexString(long flat, long[] shape) {
        long[] index = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return Arrays.toString(index);
    }
}
