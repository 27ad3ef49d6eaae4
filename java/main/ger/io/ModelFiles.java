package ger.io;

import ger.GerException;
import ger.model.CompressedLayer;
import ger.model.CompressedModel;
import ger.model.DenseLayer;
import ger.model.FcStack;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ger's model files, all safetensors that PyTorch loads as plain nn.Linear layers.
 *
 * <p>A dense stack: {@code <name>.weight} (out x in) and {@code <name>.bias} (out) per layer.
 *
 * <p>A compressed model, per layer {@code <name>}, by form:
 * <ul>
 * <li>dense: {@code <name>.weight} (out x in), {@code <name>.bias};</li>
 * <li>lowrank: {@code <name>.0.weight} = q (k x in), {@code <name>.1.weight} = p (out x k),
 *     {@code <name>.1.bias}, so that {@code nn.Sequential(nn.Linear(in, k, bias=False), nn.Linear(k, out))}
 *     loads it;</li>
 * <li>pq: {@code <name>.pq_codebooks} F32 [groups, centroids, subDim] (a narrower last sub-space padded
 *     with zeros), {@code <name>.pq_codes} U8 [out, groups], {@code <name>.bias};</li>
 * <li>bin: {@code <name>.bin_signs} U8 [out, ceil(in / 8)], {@code <name>.bin_scales} F32 [out],
 *     {@code <name>.bias}.</li>
 * </ul>
 * The metadata holds the model's own entries plus what loading needs: {@code layers} (the layer
 * names in order, comma-separated) and {@code layer.<name>.form} (dense, lowrank, pq, bin), with
 * {@code layer.<name>.in} for bin and pq and {@code layer.<name>.subdim}, {@code layer.<name>.centroids}
 * for pq. These keys are reserved: a model's own entries under them are overwritten.
 */
public final class ModelFiles {
    static final String LAYERS = "layers";
    private static final String LAYER_PREFIX = "layer.";
    private static final Pattern RUNS = Pattern.compile("[0-9]+|[^0-9]+");

    /** Names in natural order: digit runs compare as numbers (fc2 < fc10, classifier.4 < classifier.6). */
    static final Comparator<String> NATURAL = ModelFiles::compareNatural;

    private ModelFiles() {
    }

    // ---------------------------------------------------------------------------------------------
    // Dense stacks

    /**
     * The layers {@code layerOrder} names, in that order; when it is null or empty, the file's
     * {@code layers} metadata (files ger wrote), else every {@code <name>.weight} in natural order of
     * the names. The shapes must chain: layer l's in = layer l-1's out.
     */
    public static FcStack loadStack(Path file, List<String> layerOrder) {
        SafeTensors st = SafeTensors.read(file);
        List<String> names = layerOrder == null || layerOrder.isEmpty() ? layerNames(st) : layerOrder;
        if (names.isEmpty()) {
            throw GerException.inFile(file, "no '<name>.weight' tensors: not a stack of linear layers");
        }
        requireListable(file, names);
        long[][] shapes = new long[names.size()][];
        for (int l = 0; l < names.size(); l++) {
            String name = names.get(l);
            if (!st.has(name + ".weight")) {
                String form = st.metadata().get(LAYER_PREFIX + name + ".form");
                throw GerException.inFile(file, form != null
                        ? "layer '" + name + "' is stored in compressed form '" + form + "': a compressed model, not a dense stack"
                        : "no layer '" + name + "' (no tensor '" + name + ".weight'); layers found: "
                                + String.join(", ", layerNames(st)));
            }
            shapes[l] = weightShape(st, name + ".weight");
            biasShape(st, name + ".bias", shapes[l][0]);
        }
        checkChain(file, names, shapes);
        List<DenseLayer> layers = new ArrayList<>();
        for (String name : names) {
            layers.add(new DenseLayer(name, st.matrix(name + ".weight"), st.matrix(name + ".bias")));
        }
        return new FcStack(layers);
    }

    /** Writes every layer as {@code <name>.weight}, {@code <name>.bias}, plus {@code metadata} and {@code layers}. */
    public static void saveStack(Path file, FcStack stack, Map<String, String> metadata) {
        Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (DenseLayer layer : stack.layers()) {
            names.add(layer.name());
            tensors.put(layer.name() + ".weight", SafeTensors.Entry.f32(layer.weight()));
            tensors.put(layer.name() + ".bias", SafeTensors.Entry.f32Vector(layer.bias()));
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(LAYERS, joinNames(names));
        SafeTensors.write(file, tensors, meta);
    }

    /** The layers of a file: its {@code layers} metadata, else the prefixes of its .weight tensors, sorted naturally. */
    private static List<String> layerNames(SafeTensors st) {
        String listed = st.metadata().get(LAYERS);
        if (listed != null) {
            return Arrays.asList(listed.split(","));
        }
        return st.tensors().keySet().stream()
                .filter(n -> n.endsWith(".weight"))
                .map(n -> n.substring(0, n.length() - ".weight".length()))
                .sorted(NATURAL)
                .toList();
    }

    // ---------------------------------------------------------------------------------------------
    // Compressed models

    /** Writes every layer in its form (see the class comment), the model's metadata and the loader's. */
    public static void saveCompressed(Path file, CompressedModel model) {
        Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>(model.metadata());
        List<String> names = new ArrayList<>();
        for (CompressedLayer layer : model.layers()) {
            String name = layer.name();
            String key = LAYER_PREFIX + name;
            names.add(name);
            switch (layer) {
                case CompressedLayer.Dense d -> {
                    meta.put(key + ".form", "dense");
                    tensors.put(name + ".weight", SafeTensors.Entry.f32(d.weight()));
                    tensors.put(name + ".bias", SafeTensors.Entry.f32Vector(d.bias()));
                }
                case CompressedLayer.LowRank r -> {
                    meta.put(key + ".form", "lowrank");
                    tensors.put(name + ".0.weight", SafeTensors.Entry.f32(r.q()));
                    tensors.put(name + ".1.weight", SafeTensors.Entry.f32(r.p()));
                    tensors.put(name + ".1.bias", SafeTensors.Entry.f32Vector(r.bias()));
                }
                case CompressedLayer.ProductQuantized q -> {
                    meta.put(key + ".form", "pq");
                    meta.put(key + ".in", Integer.toString(q.in()));
                    meta.put(key + ".subdim", Integer.toString(q.subDim()));
                    meta.put(key + ".centroids", Integer.toString(q.centroids()));
                    tensors.put(name + ".pq_codebooks",
                            SafeTensors.Entry.f32(new long[] {q.groups(), q.centroids(), q.subDim()}, q.codebooks()));
                    tensors.put(name + ".pq_codes", SafeTensors.Entry.u8(new long[] {q.out(), q.groups()}, q.codes()));
                    tensors.put(name + ".bias", SafeTensors.Entry.f32Vector(q.bias()));
                }
                case CompressedLayer.Binarized b -> {
                    meta.put(key + ".form", "bin");
                    meta.put(key + ".in", Integer.toString(b.in()));
                    tensors.put(name + ".bin_signs",
                            SafeTensors.Entry.u8(new long[] {b.out(), CompressedLayer.Binarized.bytesPerRow(b.in())}, b.signs()));
                    tensors.put(name + ".bin_scales", SafeTensors.Entry.f32Vector(b.scales()));
                    tensors.put(name + ".bias", SafeTensors.Entry.f32Vector(b.bias()));
                }
            }
        }
        meta.put(LAYERS, joinNames(names));
        SafeTensors.write(file, tensors, meta);
    }

    /** Rebuilds what {@link #saveCompressed} wrote: the layers in order and the model's own metadata. */
    public static CompressedModel loadCompressed(Path file) {
        SafeTensors st = SafeTensors.read(file);
        String listed = st.metadata().get(LAYERS);
        if (listed == null) {
            throw GerException.inFile(file, "no '" + LAYERS + "' metadata: not a compressed model written by ger");
        }
        List<String> names = Arrays.asList(listed.split(","));
        requireListable(file, names);
        List<CompressedLayer> layers = new ArrayList<>();
        for (String name : names) {
            try {
                layers.add(loadLayer(st, name));
            } catch (IllegalArgumentException e) {
                // The layer records check their parts against each other.
                throw GerException.inFile(file, e.getMessage());
            }
        }
        checkChain(file, names, layers.stream().map(l -> new long[] {l.out(), l.in()}).toArray(long[][]::new));
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        meta.keySet().removeIf(k -> k.equals(LAYERS) || k.startsWith(LAYER_PREFIX));
        return new CompressedModel(layers, meta);
    }

    private static CompressedLayer loadLayer(SafeTensors st, String name) {
        String key = LAYER_PREFIX + name;
        String form = metadata(st, key + ".form");
        return switch (form) {
            case "dense" -> {
                long[] w = weightShape(st, name + ".weight");
                biasShape(st, name + ".bias", w[0]);
                yield new CompressedLayer.Dense(name, st.matrix(name + ".weight"), st.matrix(name + ".bias"));
            }
            case "lowrank" -> {
                long[] q = weightShape(st, name + ".0.weight");
                long[] p = weightShape(st, name + ".1.weight");
                if (p[1] != q[0]) {
                    throw GerException.inFile(st.file(), "layer '" + name + "': " + name + ".1.weight is "
                            + Arrays.toString(p) + " but " + name + ".0.weight is " + Arrays.toString(q) + " (rank differs)");
                }
                biasShape(st, name + ".1.bias", p[0]);
                yield new CompressedLayer.LowRank(name, st.matrix(name + ".1.weight"), st.matrix(name + ".0.weight"),
                        st.matrix(name + ".1.bias"));
            }
            case "pq" -> {
                int subDim = intMetadata(st, key + ".subdim");
                int centroids = intMetadata(st, key + ".centroids");
                long[] books = st.entry(name + ".pq_codebooks").shape();
                if (books.length != 3 || books[1] != centroids || books[2] != subDim) {
                    throw GerException.inFile(st.file(), "tensor '" + name + ".pq_codebooks' has shape "
                            + Arrays.toString(books) + ", expected [groups, " + centroids + ", " + subDim + "]");
                }
                long groups = books[0];
                long[] codes = st.entry(name + ".pq_codes").shape();
                if (codes.length != 2 || codes[1] != groups) {
                    throw GerException.inFile(st.file(), "tensor '" + name + ".pq_codes' has shape "
                            + Arrays.toString(codes) + ", expected [out, " + groups + "]");
                }
                biasShape(st, name + ".bias", codes[0]);
                // Files written before a narrower last sub-space was allowed have no .in: every sub-space is full.
                int in = st.metadata().containsKey(key + ".in") ? intMetadata(st, key + ".in")
                        : Math.toIntExact(groups * subDim);
                if (CompressedLayer.ProductQuantized.groups(in, subDim) != groups) {
                    throw GerException.inFile(st.file(), "metadata '" + key + ".in' is " + in + ", which does not split into "
                            + groups + " sub-spaces of " + subDim + " columns");
                }
                yield new CompressedLayer.ProductQuantized(name, in, (int) codes[0],
                        subDim, centroids, st.reshaped(name + ".pq_codebooks", groups * centroids, subDim),
                        st.bytes(name + ".pq_codes"), st.matrix(name + ".bias"));
            }
            case "bin" -> {
                int in = intMetadata(st, key + ".in");
                long[] signs = st.entry(name + ".bin_signs").shape();
                if (signs.length != 2 || signs[1] != CompressedLayer.Binarized.bytesPerRow(in)) {
                    throw GerException.inFile(st.file(), "tensor '" + name + ".bin_signs' has shape "
                            + Arrays.toString(signs) + ", expected [out, " + CompressedLayer.Binarized.bytesPerRow(in)
                            + "] for " + in + " inputs");
                }
                biasShape(st, name + ".bin_scales", signs[0]);
                biasShape(st, name + ".bias", signs[0]);
                yield new CompressedLayer.Binarized(name, in, (int) signs[0], st.bytes(name + ".bin_signs"),
                        st.matrix(name + ".bin_scales"), st.matrix(name + ".bias"));
            }
            default -> throw GerException.inFile(st.file(), "layer '" + name + "' has unknown form '" + form
                    + "' (dense, lowrank, pq or bin)");
        };
    }

    // ---------------------------------------------------------------------------------------------
    // Checks shared by both formats

    /** A linear layer's weight shape [out, in]. */
    private static long[] weightShape(SafeTensors st, String tensor) {
        long[] shape = st.entry(tensor).shape();
        if (shape.length != 2) {
            throw GerException.inFile(st.file(), "tensor '" + tensor + "' has shape " + Arrays.toString(shape)
                    + ", but a linear layer's weight is 2-D (out x in)");
        }
        if (shape[0] == 0 || shape[1] == 0) {
            throw GerException.inFile(st.file(), "tensor '" + tensor + "' has shape " + Arrays.toString(shape)
                    + ": a layer needs at least one input and one output");
        }
        return shape;
    }

    /** A vector of {@code out} elements: a bias or a per-row scale. */
    private static void biasShape(SafeTensors st, String tensor, long out) {
        if (!st.has(tensor)) {
            throw GerException.inFile(st.file(), "no tensor '" + tensor + "' (every layer keeps a bias)");
        }
        long[] shape = st.entry(tensor).shape();
        if (shape.length != 1 || shape[0] != out) {
            throw GerException.inFile(st.file(), "tensor '" + tensor + "' has shape " + Arrays.toString(shape)
                    + ", expected [" + out + "]");
        }
    }

    /** shapes[l] = [out, in] of layer l; each in must equal the out below it. */
    private static void checkChain(Path file, List<String> names, long[][] shapes) {
        for (int l = 1; l < names.size(); l++) {
            if (shapes[l][1] != shapes[l - 1][0]) {
                throw GerException.inFile(file, "shapes do not chain: layer '" + names.get(l) + "' takes "
                        + shapes[l][1] + " inputs but layer '" + names.get(l - 1) + "' gives " + shapes[l - 1][0]);
            }
        }
    }

    /** Names the {@code layers} metadata can list (comma-separated) and tell apart. */
    private static void requireListable(Path file, List<String> names) {
        var seen = new HashSet<String>();
        for (String name : names) {
            if (name.isEmpty() || name.contains(",")) {
                throw GerException.inFile(file, "layer name '" + name + "' " + (name.isEmpty() ? "is empty" : "has a comma")
                        + ": ger lists the layers comma-separated in its output's metadata; rename the tensors");
            }
            if (!seen.add(name)) {
                throw GerException.inFile(file, "layer '" + name + "' is named twice");
            }
        }
    }

    private static String metadata(SafeTensors st, String key) {
        String value = st.metadata().get(key);
        if (value == null) {
            throw GerException.inFile(st.file(), "no '" + key + "' in the metadata");
        }
        return value;
    }

    private static int intMetadata(SafeTensors st, String key) {
        String value = metadata(st, key);
        try {
            int v = Integer.parseInt(value.strip());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // Reported below with the other bad values.
        }
        throw GerException.inFile(st.file(), "metadata '" + key + "' is '" + value + "', not a positive integer");
    }

    private static String joinNames(List<String> names) {
        for (String name : names) {
            if (name.isEmpty() || name.contains(",")) {
                throw new IllegalArgumentException("layer name '" + name + "' cannot be listed in '" + LAYERS + "'");
            }
        }
        return String.join(",", names);
    }

    static int compareNatural(String a, String b) {
        Matcher ra = RUNS.matcher(a);
        Matcher rb = RUNS.matcher(b);
        while (true) {
            boolean hasA = ra.find();
            boolean hasB = rb.find();
            if (!hasA || !hasB) {
                return hasA == hasB ? a.compareTo(b) : (hasA ? 1 : -1);
            }
            String x = ra.group();
            String y = rb.group();
            boolean digits = Character.isDigit(x.charAt(0)) && Character.isDigit(y.charAt(0));
            int c = digits ? new BigInteger(x).compareTo(new BigInteger(y)) : x.compareTo(y);
            if (c != 0) {
                return c;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // ger info

    /**
     * A human-readable summary for {@code ger info}: safetensors tensors and metadata, .npy dtype and
     * shape, IDX type and dims. Files are recognised by extension, else by their first bytes.
     */
    public static String describe(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            return SafeTensors.read(file).describe();
        }
        if (name.endsWith(".npy")) {
            return Npy.describe(file);
        }
        if (name.endsWith(".gz") || name.contains("-ubyte") || name.endsWith(".idx")) {
            return Idx.describe(file);
        }
        byte[] head;
        long size;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(9);
            size = Files.size(file);
        } catch (IOException e) {
            throw FileIo.readError(file, e);
        }
        if (head.length >= 6 && head[0] == (byte) 0x93 && new String(head, 1, 5).equals("NUMPY")) {
            return Npy.describe(file);
        }
        if (head.length >= 4 && ((head[0] == 0x1f && head[1] == (byte) 0x8b) || (head[0] == 0 && head[1] == 0))) {
            return Idx.describe(file);
        }
        if (head.length == 9 && head[8] == '{') {
            long headerLength = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLength > 0 && headerLength <= size - 8) {
                return SafeTensors.read(file).describe();
            }
        }
        if (SafeTensors.isPyTorch(head)) {
            throw GerException.inFile(file, SafeTensors.FROM_PYTORCH);
        }
        throw GerException.inFile(file, "unknown file type (expected safetensors, .npy or IDX)");
    }
}
