package ger.io;

import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static ger.io.IoTestFiles.assertFails;
import static ger.io.IoTestFiles.safetensors;
import static ger.io.IoTestFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsTest {
    @TempDir
    Path dir;

    private static Matrix random(Random rnd, int rows, int cols) {
        return IoTestFiles.gaussian(rnd, rows, cols);
    }

    @Test
    void f32AndU8RoundTripWithMetadata() throws IOException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        Matrix w = random(rnd, 3 + rnd.nextInt(20), 1 + rnd.nextInt(30));
        Matrix b = random(rnd, 1, w.rows());
        byte[] codes = new byte[5 * 7];
        rnd.nextBytes(codes);
        Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
        // U8 first: the writer must still align the F32 data.
        tensors.put("codes", SafeTensors.Entry.u8(new long[] {5, 7}, codes));
        tensors.put("fc.weight", SafeTensors.Entry.f32(w));
        tensors.put("fc.bias", SafeTensors.Entry.f32Vector(b));
        Map<String, String> meta = Map.of("method", "ger", "ranks", "32,16", "note", "quote \" and ünïcode");
        Path file = dir.resolve("sub/m.safetensors");
        SafeTensors.write(file, tensors, meta);

        SafeTensors st = SafeTensors.read(file);
        assertEquals(List.of("codes", "fc.weight", "fc.bias"), List.copyOf(st.tensors().keySet()), "seed " + seed);
        assertEquals(meta, st.metadata());
        assertArrayEquals(w.toArray(), st.matrix("fc.weight").toArray(), "seed " + seed);
        Matrix bias = st.matrix("fc.bias");
        assertEquals(1, bias.rows());
        assertArrayEquals(b.toArray(), bias.toArray(), "seed " + seed);
        assertArrayEquals(new long[] {b.cols()}, st.tensors().get("fc.bias").shape());
        assertArrayEquals(codes, st.bytes("codes"), "seed " + seed);
        assertTrue(st.has("codes"));
        assertFalse(st.has("nothing"));

        // The layout the reference implementation produces: header padded to 8, F32 data 4-aligned.
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long n = raw.getLong(0);
        assertEquals(0, n % 8, "header length " + n);
        assertEquals(8 + n + 4L * (w.size() + b.size()) + codes.length, raw.capacity());
        String header = new String(Files.readAllBytes(file), 8, (int) n, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.stripTrailing().endsWith("}") && header.length() - header.stripTrailing().length() < 8,
                "padded with spaces: '" + header + "'");
        assertEquals(w.get(0, 0), raw.getFloat((int) (8 + n)), "F32 data comes first");
    }

    /** Independent float16 decoding in double arithmetic: sign, 5-bit exponent, 10-bit mantissa. */
    private static double halfValue(short h) {
        int sign = (h >> 15) & 1;
        int exp = (h >> 10) & 0x1f;
        int man = h & 0x3ff;
        double v = exp == 0 ? man / 1024.0 * Math.pow(2, -14) : (1 + man / 1024.0) * Math.pow(2, exp - 15);
        return sign == 1 ? -v : v;
    }

    /** Independent bfloat16 decoding: sign, 8-bit exponent, 7-bit mantissa. */
    private static double bf16Value(short h) {
        int sign = (h >> 15) & 1;
        int exp = (h >> 7) & 0xff;
        int man = h & 0x7f;
        double v = exp == 0 ? man / 128.0 * Math.pow(2, -126) : (1 + man / 128.0) * Math.pow(2, exp - 127);
        return sign == 1 ? -v : v;
    }

    @Test
    void readsF16AndBf16AsFloat32() throws IOException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int rows = 2 + rnd.nextInt(5);
        int cols = 3 + rnd.nextInt(6);
        int n = rows * cols;
        ByteBuffer half = IoTestFiles.le(2 * n);
        ByteBuffer bf = IoTestFiles.le(2 * n);
        double[] halfExpected = new double[n];
        double[] bfExpected = new double[n];
        for (int i = 0; i < n; i++) {
            double v = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(5) - 2);
            short h = Float.floatToFloat16((float) v);
            short b = (short) (Float.floatToRawIntBits((float) v) >>> 16);
            halfExpected[i] = halfValue(h);
            bfExpected[i] = bf16Value(b);
            // The encodings are close to v (normal range): a check that the expected values make sense.
            assertEquals(v, halfExpected[i], Math.abs(v) * 1e-3 + 1e-7, "seed " + seed);
            assertEquals(v, bfExpected[i], Math.abs(v) * 1e-2, "seed " + seed);
            half.putShort(h);
            bf.putShort(b);
        }
        String json = "{\"h\":{\"dtype\":\"F16\",\"shape\":[" + rows + "," + cols + "],\"data_offsets\":[0," + 2 * n + "]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[" + n + "],\"data_offsets\":[" + 2 * n + "," + 4 * n + "]}}";
        Path file = write(dir.resolve("half.safetensors"), safetensors(json, IoTestFiles.concat(half.array(), bf.array())));
        SafeTensors st = SafeTensors.read(file);
        Matrix h = st.matrix("h");
        Matrix b = st.matrix("b");
        assertEquals(rows, h.rows());
        assertEquals(cols, h.cols());
        assertEquals(1, b.rows());
        assertEquals(n, b.cols());
        for (int i = 0; i < n; i++) {
            assertEquals(halfExpected[i], h.getFlat(i), 0, "F16 element " + i + ", seed " + seed);
            assertEquals(bfExpected[i], b.getFlat(i), 0, "BF16 element " + i + ", seed " + seed);
        }
    }

    @Test
    void readsF64() throws IOException {
        double[] v = {0.1, -2.5, 1e-3, 7};
        String json = "{\"d\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[0,32]}}";
        Path file = write(dir.resolve("d.safetensors"), safetensors(json, IoTestFiles.doublesLe(v)));
        Matrix m = SafeTensors.read(file).matrix("d");
        for (int i = 0; i < v.length; i++) {
            assertEquals((float) v[i], m.getFlat(i));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Bad files: every message names the file and the problem.

    private Path file(String json, byte[] data) throws IOException {
        return write(dir.resolve("bad.safetensors"), safetensors(json, data));
    }

    private static final String ONE = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    @Test
    void shorterThanEightBytes() throws IOException {
        Path f = write(dir.resolve("short.safetensors"), new byte[] {1, 0, 0});
        assertFails(f, "shorter than the 8-byte header length", () -> SafeTensors.read(f));
    }

    @Test
    void headerLengthPastTheEnd() throws IOException {
        byte[] good = safetensors(ONE, new byte[8]);
        ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).putLong(0, good.length);
        Path f = write(dir.resolve("long.safetensors"), good);
        assertFails(f, "runs past the end of the file", () -> SafeTensors.read(f));
    }

    @Test
    void truncatedData() throws IOException {
        Path f = file(ONE, new byte[5]);
        assertFails(f, "tensor 't': data_offsets [0, 8] out of range", () -> SafeTensors.read(f));
    }

    @Test
    void headerNotJsonOrNotAnObject() throws IOException {
        Path f = file("{\"t\": [1, 2", new byte[0]);
        assertFails(f, "header is not valid JSON", () -> SafeTensors.read(f));
        Path g = file("[1, 2]  ", new byte[0]);
        assertFails(g, "header is not a JSON object", () -> SafeTensors.read(g));
        Path h = file("{\"t\": 3}", new byte[0]);
        assertFails(h, "tensor 't': header entry is not a JSON object", () -> SafeTensors.read(h));
        Path m = file("{\"__metadata__\": {\"a\": 1}}", new byte[0]);
        assertFails(m, "not a string", () -> SafeTensors.read(m));
    }

    @Test
    void unsupportedDtype() throws IOException {
        Path f = file("{\"t\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,1]}}", new byte[1]);
        assertFails(f, "tensor 't': dtype Q4_K not supported", () -> SafeTensors.read(f));
    }

    @Test
    void offsetsNotMatchingDtypeAndShape() throws IOException {
        Path f = file("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        assertFails(f, "hold 8 bytes, but F32 [3] needs 12", () -> SafeTensors.read(f));
        Path g = file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", new byte[8]);
        assertFails(g, "out of range", () -> SafeTensors.read(g));
        Path h = file("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8]);
        assertFails(h, "not a non-negative integer", () -> SafeTensors.read(h));
    }

    @Test
    void nanAndInfNameTheTensorAndIndex() throws IOException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] v = new float[12];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rnd.nextGaussian();
            }
            int at = rnd.nextInt(v.length);
            v[at] = bad;
            Path f = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[0,48]}}", IoTestFiles.floatsLe(v));
            assertFails(f, "tensor 'w' holds " + bad + " at index [" + at / 4 + ", " + at % 4 + "]",
                    () -> SafeTensors.read(f).matrix("w"));
        }
    }

    @Test
    void missingTensorWrongDtypeWrongRank() throws IOException {
        String json = "{\"c\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                + "\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[1,1,2],\"data_offsets\":[16,24]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]}}";
        Path f = file(json, new byte[28]);
        SafeTensors st = SafeTensors.read(f);
        assertFails(f, "no tensor 'nope'", () -> st.matrix("nope"));
        assertFails(f, "tensor 'i' has dtype I64", () -> st.matrix("i"));
        assertFails(f, "tensor 'c' has dtype U8", () -> st.matrix("c"));
        assertFails(f, "tensor 'f' has dtype F32, expected U8", () -> st.bytes("f"));
        assertFails(f, "tensor 'x' has shape [1, 1, 2], expected 1-D or 2-D", () -> st.matrix("x"));
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("absent.safetensors");
        assertFails(f, "no such file", () -> SafeTensors.read(f));
    }

    /** The same tensors and metadata, the metadata inserted in two different random orders: the same bytes. */
    @Test
    void sameContentSameBytesWhateverTheMetadataOrder() throws IOException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        Matrix w = random(rnd, 1 + rnd.nextInt(5), 1 + rnd.nextInt(5));
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            keys.add("key" + rnd.nextInt(1_000_000) + "_" + i);
        }
        byte[][] written = new byte[2][];
        for (int run = 0; run < 2; run++) {
            java.util.Collections.shuffle(keys, rnd);
            Map<String, String> meta = new LinkedHashMap<>();
            keys.forEach(k -> meta.put(k, "value of " + k));
            Path file = dir.resolve("run" + run + ".safetensors");
            SafeTensors.write(file, Map.of("w", SafeTensors.Entry.f32(w)), meta);
            written[run] = Files.readAllBytes(file);
        }
        assertArrayEquals(written[0], written[1], "seed " + seed);
    }

    /** What the reference implementation refuses: the tensors must tile the data section exactly. */
    @Test
    void offsetsThatOverlapLeaveHolesOrLeaveBytesOver() throws IOException {
        byte[] data = IoTestFiles.floatsLe(new float[] {1.5f, -2f, 3f});
        Path overlap = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", data);
        assertFails(overlap, "tensor 'b': data_offsets [4, 12] overlap tensor 'a', which ends at 8", () -> SafeTensors.read(overlap));
        Path same = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", data);
        assertFails(same, "overlap tensor", () -> SafeTensors.read(same));
        Path hole = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", data);
        assertFails(hole, "tensor 'b': data_offsets [8, 12] leave bytes [4, 8) of the data section to no tensor",
                () -> SafeTensors.read(hole));
        Path over = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data);
        assertFails(over, "the tensors cover 8 bytes of the data section, which has 12: 4 bytes left over",
                () -> SafeTensors.read(over));
        // Out of header order but tiling: accepted.
        Path shuffled = file("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data);
        assertArrayEquals(new float[] {3f}, SafeTensors.read(shuffled).matrix("b").toArray());
    }

    @Test
    void floatsWhereIntegersBelong() throws IOException {
        byte[] data = new byte[24];
        Path offsets = file("{\"t\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24.0]}}", data);
        assertFails(offsets, "data_offsets holds 24.0, not a non-negative integer", () -> SafeTensors.read(offsets));
        Path shape = file("{\"t\":{\"dtype\":\"F32\",\"shape\":[6.0],\"data_offsets\":[0,24]}}", data);
        assertFails(shape, "shape holds 6.0, not a non-negative integer", () -> SafeTensors.read(shape));
    }

    /** A byte-order mark, an overlong "/" (c0 af) and a lone continuation byte: not the UTF-8 the format requires. */
    @Test
    void headerThatIsNotStrictUtf8() throws IOException {
        byte[] data = new byte[4];
        byte[] entry = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Path bom = write(dir.resolve("bom.safetensors"), headerBytes(IoTestFiles.concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, entry), data));
        assertFails(bom, "byte-order mark", () -> SafeTensors.read(bom));
        for (byte[] bad : new byte[][] {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}}) {
            byte[] named = IoTestFiles.concat("{\"a".getBytes(java.nio.charset.StandardCharsets.US_ASCII), bad,
                    java.util.Arrays.copyOfRange(entry, 2, entry.length));
            Path f = write(dir.resolve("utf8.safetensors"), headerBytes(named, data));
            assertFails(f, "header is not valid UTF-8: a malformed byte sequence at file offset 11", () -> SafeTensors.read(f));
        }
    }

    private static byte[] headerBytes(byte[] header, byte[] data) {
        return IoTestFiles.concat(IoTestFiles.le(8).putLong(header.length).array(), header, data);
    }
}
