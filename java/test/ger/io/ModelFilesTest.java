package ger.io;

import ger.model.CompressedLayer;
import ger.model.CompressedModel;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static ger.io.IoTestFiles.assertFails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelFilesTest {
    @TempDir
    Path dir;

    private static Matrix random(Random rnd, int rows, int cols) {
        return IoTestFiles.gaussian(rnd, rows, cols);
    }

    /** Layer l maps dims[l] inputs to dims[l + 1] outputs. */
    private static List<DenseLayer> layers(Random rnd, List<String> names, int[] dims) {
        List<DenseLayer> layers = new ArrayList<>();
        for (int l = 0; l < names.size(); l++) {
            layers.add(new DenseLayer(names.get(l), random(rnd, dims[l + 1], dims[l]), random(rnd, 1, dims[l + 1])));
        }
        return layers;
    }

    private static int[] dims(Random rnd, int count) {
        return rnd.ints(count, 1, 9).toArray();
    }

    /** Plain nn.Linear tensors (no "layers" metadata), in the given file order: as PyTorch writes them. */
    private Path torchFile(String name, List<DenseLayer> layers) {
        Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
        for (DenseLayer d : layers) {
            tensors.put(d.name() + ".weight", SafeTensors.Entry.f32(d.weight()));
            tensors.put(d.name() + ".bias", SafeTensors.Entry.f32Vector(d.bias()));
        }
        Path file = dir.resolve(name);
        SafeTensors.write(file, tensors, Map.of());
        return file;
    }

    private static void assertSameLayers(List<DenseLayer> expected, FcStack actual, String msg) {
        assertEquals(expected.size(), actual.depth(), msg);
        for (int l = 0; l < expected.size(); l++) {
            DenseLayer e = expected.get(l);
            DenseLayer a = actual.layer(l);
            assertEquals(e.name(), a.name(), msg);
            assertEquals(e.weight().shape(), a.weight().shape(), msg);
            assertArrayEquals(e.weight().toArray(), a.weight().toArray(), msg + " " + e.name());
            assertArrayEquals(e.bias().toArray(), a.bias().toArray(), msg + " " + e.name());
        }
    }

    @Test
    void naturalOrderComparesDigitRunsAsNumbers() {
        List<String> names = new ArrayList<>(List.of("fc10", "fc2", "fc1", "classifier.6", "fc0", "classifier.1",
                "classifier.4", "fc9", "fc100000000000000000000", "b", "a"));
        Collections.shuffle(names, new Random(System.nanoTime()));
        names.sort(ModelFiles.NATURAL);
        assertEquals(List.of("a", "b", "classifier.1", "classifier.4", "classifier.6", "fc0", "fc1", "fc2", "fc9",
                "fc10", "fc100000000000000000000"), names);
    }

    @Test
    void loadsAllLayersInNaturalOrder() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        List<String> names = new ArrayList<>();
        for (int i = 0; i <= 11; i++) {
            names.add("fc" + i);
        }
        List<DenseLayer> layers = layers(rnd, names, dims(rnd, names.size() + 1));
        List<DenseLayer> shuffled = new ArrayList<>(layers);
        Collections.shuffle(shuffled, rnd);
        Path file = torchFile("mlp.safetensors", shuffled);
        assertSameLayers(layers, ModelFiles.loadStack(file, null), "seed " + seed);
        assertSameLayers(layers, ModelFiles.loadStack(file, List.of()), "seed " + seed);

        List<String> torchvision = List.of("classifier.1", "classifier.4", "classifier.6");
        List<DenseLayer> vgg = layers(rnd, torchvision, dims(rnd, 4));
        Path tv = torchFile("vgg.safetensors", List.of(vgg.get(2), vgg.get(0), vgg.get(1)));
        assertSameLayers(vgg, ModelFiles.loadStack(tv, null), "seed " + seed);
    }

    @Test
    void loadsTheGivenLayerOrder() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        // Natural order (a, b, c) differs from the network's order (c, a, b); an extra layer is ignored.
        List<DenseLayer> layers = layers(rnd, List.of("c", "a", "b"), dims(rnd, 4));
        List<DenseLayer> all = new ArrayList<>(layers);
        all.add(new DenseLayer("extra", random(rnd, 3, 5), random(rnd, 1, 3)));
        Path file = torchFile("named.safetensors", all);
        assertSameLayers(layers, ModelFiles.loadStack(file, List.of("c", "a", "b")), "seed " + seed);
        assertSameLayers(layers.subList(1, 3), ModelFiles.loadStack(file, List.of("a", "b")), "seed " + seed);
    }

    @Test
    void saveStackRoundTripKeepsOrderAndMetadata() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        List<DenseLayer> layers = layers(rnd, List.of("out", "hidden", "in"), dims(rnd, 4));
        Path file = dir.resolve("stack.safetensors");
        ModelFiles.saveStack(file, new FcStack(layers), Map.of("source", "test"));
        assertSameLayers(layers, ModelFiles.loadStack(file, null), "seed " + seed);
        SafeTensors st = SafeTensors.read(file);
        assertEquals("test", st.metadata().get("source"));
        assertEquals("out,hidden,in", st.metadata().get("layers"));
    }

    // ---------------------------------------------------------------------------------------------
    // Bad stacks

    @Test
    void badStacks() {
        Random rnd = new Random(System.nanoTime());
        List<DenseLayer> ok = layers(rnd, List.of("fc0", "fc1"), new int[] {4, 3, 2});
        Path file = torchFile("ok.safetensors", ok);
        assertFails(file, "no layer 'fc7'", () -> ModelFiles.loadStack(file, List.of("fc0", "fc7")));
        assertFails(file, "layer 'fc0' is named twice", () -> ModelFiles.loadStack(file, List.of("fc0", "fc0")));

        Map<String, SafeTensors.Entry> noBias = new LinkedHashMap<>(SafeTensors.read(file).tensors());
        noBias.remove("fc1.bias");
        Path nb = dir.resolve("nobias.safetensors");
        SafeTensors.write(nb, noBias, Map.of());
        assertFails(nb, "no tensor 'fc1.bias'", () -> ModelFiles.loadStack(nb, null));

        Map<String, SafeTensors.Entry> badBias = new LinkedHashMap<>(SafeTensors.read(file).tensors());
        badBias.put("fc1.bias", SafeTensors.Entry.f32Vector(random(rnd, 1, 5)));
        Path bb = dir.resolve("badbias.safetensors");
        SafeTensors.write(bb, badBias, Map.of());
        assertFails(bb, "tensor 'fc1.bias' has shape [5], expected [2]", () -> ModelFiles.loadStack(bb, null));

        List<DenseLayer> broken = List.of(ok.get(0), new DenseLayer("fc1", random(rnd, 2, 6), random(rnd, 1, 2)));
        Path chain = torchFile("chain.safetensors", broken);
        assertFails(chain, "layer 'fc1' takes 6 inputs but layer 'fc0' gives 3", () -> ModelFiles.loadStack(chain, null));

        Map<String, SafeTensors.Entry> rank3 = new LinkedHashMap<>(SafeTensors.read(file).tensors());
        rank3.put("fc0.weight", SafeTensors.Entry.f32(new long[] {3, 2, 2}, random(rnd, 3, 4)));
        Path r3 = dir.resolve("rank3.safetensors");
        SafeTensors.write(r3, rank3, Map.of());
        assertFails(r3, "tensor 'fc0.weight' has shape [3, 2, 2], but a linear layer's weight is 2-D",
                () -> ModelFiles.loadStack(r3, null));

        Matrix nanWeight = random(rnd, 2, 3);
        nanWeight.set(1, 2, Float.NaN);
        Path nan = torchFile("nan.safetensors", List.of(ok.get(0), new DenseLayer("fc1", nanWeight, random(rnd, 1, 2))));
        assertFails(nan, "tensor 'fc1.weight' holds NaN at index [1, 2]", () -> ModelFiles.loadStack(nan, null));

        Path empty = dir.resolve("empty.safetensors");
        SafeTensors.write(empty, Map.of(), Map.of());
        assertFails(empty, "not a stack of linear layers", () -> ModelFiles.loadStack(empty, null));
    }

    /** The layers metadata lists names comma-separated: a name it cannot hold is refused when the model is read. */
    @Test
    void layerNamesTheListCannotHoldAreRefusedOnLoad() {
        Random rnd = new Random(System.nanoTime());
        int in = 2 + rnd.nextInt(5);
        int out = 2 + rnd.nextInt(5);
        Path comma = torchFile("comma.safetensors", layers(rnd, List.of("a,b"), new int[] {in, out}));
        assertFails(comma, "layer name 'a,b' has a comma", () -> ModelFiles.loadStack(comma, null));
        Path empty = torchFile("unnamed.safetensors", layers(rnd, List.of(""), new int[] {in, out}));
        assertFails(empty, "layer name '' is empty", () -> ModelFiles.loadStack(empty, null));
    }

    /** A 0 x in layer would "compress" at rate NaN: refused. */
    @Test
    void aLayerWithNoOutputsOrNoInputs() {
        int in = 2 + new Random(System.nanoTime()).nextInt(30);
        Path noOutputs = torchFile("no-outputs.safetensors", List.of(new DenseLayer("fc0", Matrix.zeros(0, in), Matrix.zeros(1, 0))));
        assertFails(noOutputs, "tensor 'fc0.weight' has shape [0, " + in + "]: a layer needs at least one input and one output",
                () -> ModelFiles.loadStack(noOutputs, null));
    }

    // ---------------------------------------------------------------------------------------------
    // Compressed models

    /** A 4-layer model with one layer of each form, random contents, chained shapes. */
    private static CompressedModel randomModel(Random rnd) {
        int d0 = 2 * (2 + rnd.nextInt(6));  // pq splits it into sub-vectors of 2
        int d1 = 3 + rnd.nextInt(12);
        int d2 = 3 + rnd.nextInt(12);
        int d3 = 1 + rnd.nextInt(12);
        int d4 = 2 + rnd.nextInt(5);
        int subDim = 2;
        int centroids = 1 + rnd.nextInt(5);
        int groups = d0 / subDim;
        byte[] codes = new byte[d1 * groups];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) rnd.nextInt(centroids);
        }
        CompressedLayer pq = new CompressedLayer.ProductQuantized("features.0", d0, d1, subDim, centroids,
                random(rnd, groups * centroids, subDim), codes, random(rnd, 1, d1));
        int rank = 1 + rnd.nextInt(3);
        CompressedLayer lowRank = new CompressedLayer.LowRank("fc7", random(rnd, d2, rank), random(rnd, rank, d1),
                random(rnd, 1, d2));
        byte[] signs = new byte[d3 * CompressedLayer.Binarized.bytesPerRow(d2)];
        rnd.nextBytes(signs);
        CompressedLayer bin = new CompressedLayer.Binarized("fc8", d2, d3, signs, random(rnd, 1, d3), random(rnd, 1, d3));
        CompressedLayer dense = new CompressedLayer.Dense("logits", random(rnd, d4, d3), random(rnd, 1, d4));
        return new CompressedModel(List.of(pq, lowRank, bin, dense),
                Map.of("method", "ger", "ranks", Integer.toString(rank), "version", "0.1.0"));
    }

    @Test
    void compressedRoundTripOfEveryForm() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        CompressedModel model = randomModel(rnd);
        Path file = dir.resolve("c/model.safetensors");
        ModelFiles.saveCompressed(file, model);
        CompressedModel back = ModelFiles.loadCompressed(file);
        String msg = "seed " + seed;
        assertEquals(model.metadata(), back.metadata(), msg);
        assertEquals(model.layers().size(), back.layers().size(), msg);
        for (int l = 0; l < model.layers().size(); l++) {
            CompressedLayer e = model.layers().get(l);
            CompressedLayer a = back.layers().get(l);
            assertEquals(e.getClass(), a.getClass(), msg);
            assertEquals(e.name(), a.name(), msg);
            assertEquals(e.in(), a.in(), msg);
            assertEquals(e.out(), a.out(), msg);
            assertEquals(e.storedWeightBits(), a.storedWeightBits(), msg);
            assertArrayEquals(e.bias().toArray(), a.bias().toArray(), msg);
            assertArrayEquals(e.denseWeight().toArray(), a.denseWeight().toArray(), msg + " " + e.name());
            switch (e) {
                case CompressedLayer.Dense d -> assertArrayEquals(d.weight().toArray(), ((CompressedLayer.Dense) a).weight().toArray());
                case CompressedLayer.LowRank r -> {
                    CompressedLayer.LowRank b = (CompressedLayer.LowRank) a;
                    assertArrayEquals(r.p().toArray(), b.p().toArray(), msg);
                    assertArrayEquals(r.q().toArray(), b.q().toArray(), msg);
                }
                case CompressedLayer.ProductQuantized q -> {
                    CompressedLayer.ProductQuantized b = (CompressedLayer.ProductQuantized) a;
                    assertEquals(q.subDim(), b.subDim(), msg);
                    assertEquals(q.centroids(), b.centroids(), msg);
                    assertArrayEquals(q.codebooks().toArray(), b.codebooks().toArray(), msg);
                    assertArrayEquals(q.codes(), b.codes(), msg);
                }
                case CompressedLayer.Binarized s -> {
                    CompressedLayer.Binarized b = (CompressedLayer.Binarized) a;
                    assertArrayEquals(s.signs(), b.signs(), msg);
                    assertArrayEquals(s.scales().toArray(), b.scales().toArray(), msg);
                }
            }
        }
        assertEquals(model.compressionRate(), back.compressionRate(), msg);

        // The PyTorch names and shapes of the low-rank layer.
        SafeTensors st = SafeTensors.read(file);
        CompressedLayer.LowRank r = (CompressedLayer.LowRank) model.layers().get(1);
        assertArrayEquals(new long[] {r.rank(), r.in()}, st.tensors().get("fc7.0.weight").shape());
        assertArrayEquals(new long[] {r.out(), r.rank()}, st.tensors().get("fc7.1.weight").shape());
        assertArrayEquals(new long[] {r.out()}, st.tensors().get("fc7.1.bias").shape());
        assertEquals("features.0,fc7,fc8,logits", st.metadata().get("layers"));
    }

    /** The saved model's file, rewritten with a change to its tensors and metadata. */
    private Path edited(Path saved, String name, java.util.function.Consumer<Map<String, SafeTensors.Entry>> tensors,
                        java.util.function.Consumer<Map<String, String>> metadata) {
        SafeTensors st = SafeTensors.read(saved);
        Map<String, SafeTensors.Entry> t = new LinkedHashMap<>(st.tensors());
        Map<String, String> m = new LinkedHashMap<>(st.metadata());
        tensors.accept(t);
        metadata.accept(m);
        Path file = dir.resolve(name);
        SafeTensors.write(file, t, m);
        return file;
    }

    @Test
    void badCompressedFiles() {
        Random rnd = new Random(System.nanoTime());
        Path saved = dir.resolve("model.safetensors");
        ModelFiles.saveCompressed(saved, randomModel(rnd));

        assertFails(saved, "layer 'features.0' is stored in compressed form 'pq'", () -> ModelFiles.loadStack(saved, null));
        Path plain = torchFile("plain.safetensors", layers(rnd, List.of("fc0"), new int[] {3, 2}));
        assertFails(plain, "no 'layers' metadata", () -> ModelFiles.loadCompressed(plain));
        Path noForm = edited(saved, "noform.safetensors", t -> { }, m -> m.remove("layer.fc8.form"));
        assertFails(noForm, "no 'layer.fc8.form' in the metadata", () -> ModelFiles.loadCompressed(noForm));
        Path badForm = edited(saved, "badform.safetensors", t -> { }, m -> m.put("layer.fc8.form", "sparse"));
        assertFails(badForm, "layer 'fc8' has unknown form 'sparse'", () -> ModelFiles.loadCompressed(badForm));
        Path noSub = edited(saved, "nosub.safetensors", t -> { }, m -> m.put("layer.features.0.subdim", "two"));
        assertFails(noSub, "metadata 'layer.features.0.subdim' is 'two', not a positive integer",
                () -> ModelFiles.loadCompressed(noSub));
        Path noQ = edited(saved, "noq.safetensors", t -> t.remove("fc7.0.weight"), m -> { });
        assertFails(noQ, "no tensor 'fc7.0.weight'", () -> ModelFiles.loadCompressed(noQ));
        Path noSigns = edited(saved, "nosigns.safetensors", t -> t.remove("fc8.bin_signs"), m -> { });
        assertFails(noSigns, "no tensor 'fc8.bin_signs'", () -> ModelFiles.loadCompressed(noSigns));
        Path noBias = edited(saved, "nobias.safetensors", t -> t.remove("logits.bias"), m -> { });
        assertFails(noBias, "no tensor 'logits.bias'", () -> ModelFiles.loadCompressed(noBias));
        Path badIn = edited(saved, "badin.safetensors", t -> { }, m -> m.put("layer.fc8.in", "1000"));
        assertFails(badIn, "tensor 'fc8.bin_signs' has shape", () -> ModelFiles.loadCompressed(badIn));
        Path badCodes = edited(saved, "badcodes.safetensors",
                t -> t.put("features.0.pq_codes", SafeTensors.Entry.u8(new long[] {1, 1}, new byte[1])), m -> { });
        assertFails(badCodes, "tensor 'features.0.pq_codes' has shape [1, 1]", () -> ModelFiles.loadCompressed(badCodes));
        // Which layer breaks the chain first depends on the random widths; that one breaks is certain.
        Path order = edited(saved, "order.safetensors", t -> { }, m -> m.put("layers", "fc7,features.0,fc8,logits"));
        assertFails(order, "shapes do not chain: layer '", () -> ModelFiles.loadCompressed(order));
    }

    // ---------------------------------------------------------------------------------------------
    // ger info

    @Test
    void describeEveryFormat() throws IOException {
        Random rnd = new Random(System.nanoTime());
        Path st = torchFile("m.safetensors", layers(rnd, List.of("fc0"), new int[] {3, 2}));
        String s = ModelFiles.describe(st);
        assertTrue(s.contains("fc0.weight") && s.contains("F32 [2, 3]") && s.contains("fc0.bias") && s.contains("F32 [2]"), s);
        Path saved = dir.resolve("c.safetensors");
        ModelFiles.saveCompressed(saved, randomModel(rnd));
        String c = ModelFiles.describe(saved);
        assertTrue(c.contains("method = ger") && c.contains("layer.fc7.form = lowrank") && c.contains("U8 ["), c);

        Path npy = dir.resolve("x.npy");
        Npy.writeMatrix(npy, random(rnd, 3, 5));
        assertEquals(npy + ": npy v1.0, dtype <f4, shape (3, 5), C order\n", ModelFiles.describe(npy));

        // No telling extension: recognised by the first bytes.
        Path sniffNpy = Files.copy(npy, dir.resolve("x.bin"));
        assertTrue(ModelFiles.describe(sniffNpy).contains("dtype <f4, shape (3, 5)"));
        Path sniffSt = Files.copy(st, dir.resolve("m.model"));
        assertTrue(ModelFiles.describe(sniffSt).contains("fc0.weight"));
        Path other = IoTestFiles.write(dir.resolve("notes.txt"), "hello, world".getBytes());
        assertFails(other, "unknown file type", () -> ModelFiles.describe(other));
    }
}
