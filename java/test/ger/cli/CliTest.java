package ger.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ger.io.ModelFiles;
import ger.io.Npy;
import ger.method.quantize.ProductQuantization;
import ger.model.CompressedLayer;
import ger.model.CompressedModel;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.sweep.ChartFiles;
import ger.tensor.Matrix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line in-process, on the java backend, on a random MLP 24-16-12-5 with non-negative
 * calibration rows and evaluation labels from the model's own argmax. Every number a command
 * reports is checked against a float64 host forward computed here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliTest {
    /** Short schedules keep every job well under a second. */
    private static final String[] FAST = {"--backend", "java", "--lambda-schedule", "0.01x2,1x2", "--epochs", "2"};
    private static final int[] DIMS = {24, 16, 12, 5};

    @TempDir
    static Path dir;

    private final long seed = System.nanoTime();
    private FcStack stack;
    private Matrix calib;
    private Matrix evalX;
    private int[] evalY;
    private Path model;
    private Path calibFile;
    private Path evalFile;
    private Path labelFile;

    private final PrintStream realOut = System.out;
    private final PrintStream realErr = System.err;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** A command's exit code and what it printed. */
    record Run(int code, String out, String err) {
        String lastLine() {
            List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "" : lines.getLast();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    @BeforeAll
    void setUp() {
        Random r = new Random(seed);
        List<DenseLayer> layers = new ArrayList<>();
        for (int l = 1; l < DIMS.length; l++) {
            layers.add(new DenseLayer("fc" + l, gaussian(r, DIMS[l], DIMS[l - 1], Math.sqrt(2.0 / DIMS[l - 1])),
                    gaussian(r, 1, DIMS[l], 0.1)));
        }
        stack = new FcStack(layers);
        calib = uniform(r, 300, DIMS[0]);
        evalX = clearlyLabelled(r, 200);
        evalY = argmax(hostForward(originalLayers(), evalX));
        model = dir.resolve("model.safetensors");
        calibFile = dir.resolve("calib.npy");
        evalFile = dir.resolve("xv.npy");
        labelFile = dir.resolve("yv.npy");
        ModelFiles.saveStack(model, stack, Map.of("test", "CliTest seed " + seed));
        Npy.writeMatrix(calibFile, calib);
        Npy.writeMatrix(evalFile, evalX);
        Npy.writeLabels(labelFile, evalY);
    }

    @BeforeEach
    void capture() {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(realOut);
        System.setErr(realErr);
    }

    private Run cli(String... args) {
        out.reset();
        err.reset();
        int code = Main.run(args);
        System.out.flush();
        System.err.flush();
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The command, then the fast java-backend options, then the rest. */
    private static String[] fast(String command, String... rest) {
        return Stream.of(Stream.of(command), Stream.of(FAST), Stream.of(rest)).flatMap(s -> s).toArray(String[]::new);
    }

    private String seedNote(Run run) {
        return "seed " + seed + "\n" + run;
    }

    // ---------------------------------------------------------------------------------------------
    // compress

    @ParameterizedTest
    @ValueSource(strings = {"lrd", "as", "ger-ic", "ger", "pq", "bin"})
    void compressWritesTheModelAndAReport(String method) throws Exception {
        Path outFile = dir.resolve("c-" + method + ".safetensors");
        Path report = dir.resolve("c-" + method + ".json");
        boolean lowRank = !method.equals("pq") && !method.equals("bin");
        List<String> knob = lowRank ? List.of("--rank", "3") : method.equals("pq") ? List.of("--pq-dim", "2") : List.of();
        List<String> a = new ArrayList<>(List.of(fast("compress", "--model", model.toString(), "--calib", calibFile.toString(),
                "--method", method, "--out", outFile.toString(), "--report", report.toString())));
        a.addAll(knob);
        Run run = cli(a.toArray(String[]::new));
        String what = seedNote(run);
        assertEquals(0, run.code(), what);
        assertTrue(run.out().contains("compression rate"), what);

        CompressedModel c = ModelFiles.loadCompressed(outFile);
        assertEquals(method, c.metadata().get("method"), what);
        assertEquals(stack.depth(), c.layers().size(), what);

        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertEquals(method, json.get("method").asText(), what);
        if (lowRank) {
            assertEquals(3, json.get("rank").asInt(), what);
            assertTrue(json.get("compression_rate").asDouble() > 1, what);
        } else {
            assertTrue(json.get("rank").isNull(), what);
        }
        if (method.equals("bin")) {
            assertTrue(json.get("compression_rate").asDouble() > 1, what);
        }
        assertEquals(c.compressionRate(), json.get("compression_rate").asDouble(), 1e-12, what);
        assertEquals(expectedRate(method, lowRank ? 3 : method.equals("pq") ? 2 : 0, null), c.compressionRate(), 1e-12, what);
        JsonNode layers = json.get("layers");
        assertEquals(stack.depth(), layers.size(), what);
        for (int l = 0; l < stack.depth(); l++) {
            CompressedLayer cl = c.layers().get(l);
            JsonNode jl = layers.get(l);
            assertEquals(stack.layer(l).name(), jl.get("name").asText(), what);
            assertEquals(cl.name(), jl.get("name").asText(), what);
            if (cl.rank() == null) {
                assertTrue(jl.get("rank").isNull(), what);
            } else {
                assertEquals(cl.rank().intValue(), jl.get("rank").asInt(), what);
            }
            assertEquals(cl.rate(), jl.get("rate").asDouble(), 1e-12, what);
        }
        double reported = json.get("output_rel_error").asDouble();
        assertTrue(Double.isFinite(reported) && reported >= 0, what);
        assertEquals(hostRelError(c, calib), reported, 1e-4, what);
        assertTrue(json.get("seconds").asDouble() > 0, what);
        assertEquals("java", json.get("backend").asText(), what);
        assertEquals(300, json.get("calibration_rows").asInt(), what);
    }

    @Test
    void compressStreamingTheRowsMatchesTheResidentRun() throws Exception {
        double[] errors = new double[2];
        for (int i = 0; i < 2; i++) {
            Path report = dir.resolve("stream-" + i + ".json");
            List<String> a = new ArrayList<>(List.of(fast("compress", "--model", model.toString(), "--calib", calibFile.toString(),
                    "--method", "ger", "--rank", "3", "--out", dir.resolve("stream-" + i + ".safetensors").toString(),
                    "--report", report.toString())));
            if (i == 1) {
                a.addAll(List.of("--stream-rows", "37")); // 300 rows: 8 full chunks and a ragged one
            }
            Run run = cli(a.toArray(String[]::new));
            assertEquals(0, run.code(), seedNote(run));
            errors[i] = new ObjectMapper().readTree(report.toFile()).get("output_rel_error").asDouble();
        }
        assertEquals(errors[0], errors[1], 1e-3 * errors[0], "seed " + seed);
    }

    // ---------------------------------------------------------------------------------------------
    // eval

    @Test
    void evalReportsTheOriginalAndTheCompressedErrors() {
        Path compressed = dir.resolve("eval-ger.safetensors");
        Run made = cli(fast("compress", "--model", model.toString(), "--calib", calibFile.toString(),
                "--method", "ger", "--rank", "2", "--out", compressed.toString()));
        assertEquals(0, made.code(), seedNote(made));

        Run original = cli("eval", "--backend", "java", "--model", model.toString(), "--data", evalFile.toString(),
                "--labels", labelFile.toString());
        String what = seedNote(original);
        assertEquals(0, original.code(), what);
        double[] errors = topErrors(original.out().lines().filter(l -> l.startsWith(model.toString())).findFirst().orElseThrow());
        assertEquals(0.0, errors[0], what); // the labels are the model's own argmax
        assertEquals(0.0, errors[1], what);

        Run both = cli("eval", "--backend", "java", "--model", model.toString(), "--compressed", compressed.toString(),
                "--data", evalFile.toString(), "--labels", labelFile.toString());
        what = seedNote(both);
        assertEquals(0, both.code(), what);
        CompressedModel c = ModelFiles.loadCompressed(compressed);
        double[] small = topErrors(both.out().lines().filter(l -> l.startsWith(compressed.toString())).findFirst().orElseThrow());
        double[][] logits = hostForward(layersOf(c), evalX);
        int[] predicted = argmax(logits);
        int wrong = 0;
        for (int i = 0; i < predicted.length; i++) {
            wrong += predicted[i] == evalY[i] ? 0 : 1;
        }
        // float32 on the backend against float64 here: a near tie may flip one or two rows.
        assertEquals((double) wrong / evalY.length, small[0], 2.0 / evalY.length + 1e-4, what);
        assertTrue(small[1] <= small[0], what);
        Matcher m = Pattern.compile("output relative error: ([0-9.eE+-]+)").matcher(both.out());
        assertTrue(m.find(), what);
        assertEquals(hostRelError(c, evalX), Double.parseDouble(m.group(1)), 1e-4, what);
    }

    @Test
    void evalJsonCarriesTheSameNumbers() throws Exception {
        Path compressed = dir.resolve("eval-json.safetensors");
        assertEquals(0, cli(fast("compress", "--model", model.toString(), "--calib", calibFile.toString(),
                "--method", "lrd", "--rank", "2", "--out", compressed.toString())).code());
        Path report = dir.resolve("eval.json");
        String[] eval = {"eval", "--backend", "java", "--model", model.toString(), "--compressed", compressed.toString(),
                "--data", evalFile.toString(), "--labels", labelFile.toString()};
        Run lines = cli(eval);
        Run json = cli(Stream.concat(Stream.of(eval), Stream.of("--json", "--report", report.toString())).toArray(String[]::new));
        String what = seedNote(json);
        assertEquals(0, json.code(), what);
        JsonNode printed = new ObjectMapper().readTree(json.out());
        assertEquals(printed, new ObjectMapper().readTree(report.toFile()), what);
        double[] small = topErrors(lines.out().lines().filter(l -> l.startsWith(compressed.toString())).findFirst().orElseThrow());
        assertEquals(small[0], printed.get("compressed").get("error").get("top1").asDouble(), 5e-5, what);
        assertEquals(small[1], printed.get("compressed").get("error").get("top5").asDouble(), 5e-5, what);
        assertEquals(0.0, printed.get("original").get("error").get("top1").asDouble(), what);
        Matcher m = Pattern.compile("output relative error: ([0-9.eE+-]+)").matcher(lines.out());
        assertTrue(m.find(), what);
        assertEquals(Double.parseDouble(m.group(1)), printed.get("output_rel_error").asDouble(), 1e-6, what);
        assertEquals(evalY.length, printed.get("rows").asInt(), what);
    }

    // ---------------------------------------------------------------------------------------------
    // what is printed

    @Test
    void quietPrintsNothingVerbosePrintsTheNotesAndTheDefaultCountsThem() throws Exception {
        Path report = dir.resolve("notes.json");
        // 20 rows for 24 inputs: at least the note that the rows do not span fc1's input.
        String[] job = fast("compress", "--model", model.toString(), "--calib", calibFile.toString(), "--calib-rows", "20",
                "--method", "ger", "--rank", "3", "--out", dir.resolve("notes.safetensors").toString(), "--report", report.toString());
        Run normal = cli(job);
        String what = seedNote(normal);
        assertEquals(0, normal.code(), what);
        List<String> notes = new ArrayList<>();
        new ObjectMapper().readTree(report.toFile()).get("notes").forEach(n -> notes.add(n.asText()));
        assertTrue(!notes.isEmpty(), what);
        assertTrue(normal.out().lines().noneMatch(l -> l.startsWith("note: ")), what);
        assertTrue(normal.out().contains(notes.size() + (notes.size() == 1 ? " note in " : " notes in ") + report), what);

        Run verbose = cli(Stream.concat(Stream.of(job), Stream.of("--verbose")).toArray(String[]::new));
        assertEquals(notes.stream().map(n -> "note: " + n).toList(),
                verbose.out().lines().filter(l -> l.startsWith("note: ")).toList(), seedNote(verbose));

        Run quiet = cli(Stream.concat(Stream.of(job), Stream.of("--quiet")).toArray(String[]::new));
        assertEquals(0, quiet.code(), seedNote(quiet));
        assertEquals("", quiet.out() + quiet.err(), seedNote(quiet));

        Run both = cli(Stream.concat(Stream.of(job), Stream.of("--quiet", "--verbose")).toArray(String[]::new));
        assertEquals(2, both.code(), seedNote(both));
    }

    @Test
    void calibRowsTakesTheFirstRowsAndANewFolderIsNamed() throws Exception {
        Path folder = dir.resolve("new-" + seed);
        Path report = folder.resolve("r.json");
        Run run = cli(fast("compress", "--model", model.toString(), "--calib", calibFile.toString(), "--calib-rows", "120",
                "--method", "lrd", "--rank", "2", "--out", folder.resolve("c.safetensors").toString(), "--report", report.toString()));
        String what = seedNote(run);
        assertEquals(0, run.code(), what);
        assertTrue(run.out().contains("on 120 calibration rows") && run.out().contains("(created folder " + folder + ")"), what);
        assertEquals(120, new ObjectMapper().readTree(report.toFile()).get("calibration_rows").asInt(), what);
        Run again = cli(fast("compress", "--model", model.toString(), "--calib", calibFile.toString(), "--calib-rows", "120",
                "--method", "lrd", "--rank", "2", "--out", folder.resolve("c.safetensors").toString()));
        assertTrue(!again.out().contains("created folder"), seedNote(again));
        Run few = cli(fast("compress", "--model", model.toString(), "--calib", calibFile.toString(), "--calib-rows", "20",
                "--method", "as", "--rank", "2", "--out", folder.resolve("few.safetensors").toString(), "--verbose"));
        assertTrue(few.out().contains("note: fc1: 20 calibration rows for " + DIMS[0] + " inputs"), seedNote(few));
        Run tooMany = cli(fast("compress", "--model", model.toString(), "--calib", calibFile.toString(), "--calib-rows",
                Integer.toString(calib.rows() + 1), "--method", "lrd", "--rank", "2", "--out", dir.resolve("x.safetensors").toString()));
        assertEquals(2, tooMany.code(), seedNote(tooMany));
        assertTrue(tooMany.err().contains(calibFile.toString()) && tooMany.err().contains(calib.rows() + " rows"), seedNote(tooMany));
    }

    private static double[] topErrors(String line) {
        Matcher m = Pattern.compile("top-1 error ([0-9.]+) top-5 error ([0-9.]+)").matcher(line);
        assertTrue(m.find(), line);
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
    }

    // ---------------------------------------------------------------------------------------------
    // info

    @Test
    void infoDescribesFilesAndDevices() {
        Run st = cli("info", model.toString());
        assertEquals(0, st.code(), st.toString());
        for (DenseLayer d : stack.layers()) {
            assertTrue(st.out().contains(d.name() + ".weight"), st.toString());
            assertTrue(st.out().contains("[" + d.out() + ", " + d.in() + "]") || st.out().contains(d.out() + ", " + d.in()),
                    st.toString());
        }
        Run npy = cli("info", calibFile.toString());
        assertEquals(0, npy.code(), npy.toString());
        assertTrue(npy.out().contains("(300, 24)"), npy.toString());
        Run devices = cli("info", "--devices");
        assertEquals(0, devices.code(), devices.toString());
        assertTrue(devices.out().contains("java"), devices.toString());
        Run nothing = cli("info");
        assertEquals(2, nothing.code(), nothing.toString());
        assertTrue(nothing.err().contains("ger: "), nothing.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"lrd", "as", "ger"})
    void compressWithinARateMeetsItAndReportsTheChoice(String method) throws Exception {
        Path outFile = dir.resolve("rate-" + method + ".safetensors");
        Path report = dir.resolve("rate-" + method + ".json");
        double rate = 2 + 3 * new Random(seed).nextDouble();
        Run run = cli(fast("compress", "--model", model.toString(), "--calib", calibFile.toString(), "--method", method,
                "--rate", Double.toString(rate), "--out", outFile.toString(), "--report", report.toString()));
        String what = seedNote(run) + ", rate " + rate;
        assertEquals(0, run.code(), what);
        try (CompressedModel c = ModelFiles.loadCompressed(outFile)) {
            assertTrue(c.compressionRate() >= rate, c.compressionRate() + " < " + rate + "; " + what);
            JsonNode r = new ObjectMapper().readTree(report.toFile());
            assertEquals(c.metadata().get("ranks"), r.get("budget").get("ranks").asText(), what);
            assertEquals(r.get("output_rel_error").asDouble(), r.get("budget").get("measured_output_rel_error").asDouble(), what);
            assertTrue(r.get("budget").get("predicted_output_rel_error").asDouble() > 0, what);
            assertTrue(run.out().contains("ranks chosen: " + c.metadata().get("ranks")), what);
        }
    }

    @Test
    void perLayerRanksByNameOrPositionAndKeptLayers() throws Exception {
        Path outFile = dir.resolve("ranks.safetensors");
        String first = stack.layer(0).name();
        Run run = cli(fast("compress", "--model", model.toString(), "--calib", calibFile.toString(), "--method", "ger",
                "--ranks", first + ":2,1:3", "--keep", stack.layer(2).name(), "--out", outFile.toString()));
        String what = seedNote(run);
        assertEquals(0, run.code(), what);
        try (CompressedModel c = ModelFiles.loadCompressed(outFile)) {
            assertEquals(first + ":2," + stack.layer(1).name() + ":3," + stack.layer(2).name() + ":dense",
                    c.metadata().get("ranks"), what);
            CompressedLayer.Dense kept = (CompressedLayer.Dense) c.layers().get(2);
            assertArrayEquals(stack.layer(2).weight().toArray(), kept.weight().toArray(), "the kept layer is untouched; " + what);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // sweep

    @Test
    void sweepWritesTheTablesAndCharts() throws Exception {
        Path sweep = dir.resolve("sweep");
        Run run = cli(fast("sweep", "--model", model.toString(), "--calib", calibFile.toString(),
                "--data", evalFile.toString(), "--labels", labelFile.toString(), "--out", sweep.toString(),
                "--methods", "lrd,as,ger,pq,bin", "--ranks", "2,4", "--pq-dims", "1,2", "--single-layer-ranks", "2"));
        String what = seedNote(run);
        assertEquals(0, run.code(), what);
        for (String f : List.of("results.csv", "results.json", "results.md", "rate_distortion.png", "rate_distortion.svg",
                "single_layer.png", "single_layer.svg")) {
            assertTrue(Files.isRegularFile(sweep.resolve(f)), f + " missing; " + what);
        }
        ChartFiles.assertPngDrawn(sweep.resolve("rate_distortion.png"));
        ChartFiles.assertPngDrawn(sweep.resolve("single_layer.png"));
        ChartFiles.assertSvgParses(sweep.resolve("rate_distortion.svg"));
        ChartFiles.assertSvgParses(sweep.resolve("single_layer.svg"));
        assertTrue(Files.readString(sweep.resolve("results.md")).contains("# Rate-distortion sweep"), what);
        assertTrue(run.out().startsWith("wrote " + sweep), what);

        List<String> lines = Files.readAllLines(sweep.resolve("results.csv"));
        List<String> header = List.of(lines.getFirst().split(","));
        assertEquals(List.of("study", "method", "rank", "ranks", "budget_rate", "pq_dim", "compression_rate", "top1_error",
                "top5_error", "output_rel_error", "calib_output_rel_error", "predicted_calib_output_rel_error", "seconds",
                "phase_seconds"), header, what);
        Map<String, Map<String, String>> rows = new HashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            assertEquals(header.size(), cells.length, line);
            Map<String, String> row = new HashMap<>();
            for (int i = 0; i < cells.length; i++) {
                row.put(header.get(i), cells[i]);
            }
            String key = row.get("study") + " " + row.get("method") + " " + row.get("rank") + row.get("pq_dim");
            assertTrue(rows.put(key, row) == null, "duplicate row " + key);
        }
        Set<String> expected = new HashSet<>(Set.of("all original ", "all bin "));
        for (String m : List.of("lrd", "as", "ger")) {
            expected.add("all " + m + " 2");
            expected.add("all " + m + " 4");
        }
        expected.add("all pq 1");
        expected.add("all pq 2");
        for (DenseLayer d : stack.layers()) {
            for (String m : List.of("lrd", "as", "ger", "pq 1", "pq 2", "bin")) {
                expected.add(d.name() + " " + m + (m.equals("bin") ? " " : m.startsWith("pq") ? "" : " 2"));
            }
        }
        assertEquals(expected, rows.keySet(), what);

        Map<String, String> original = rows.get("all original ");
        assertEquals(1.0, Double.parseDouble(original.get("compression_rate")), 1e-12, what);
        assertEquals(0.0, Double.parseDouble(original.get("top1_error")), what);
        for (Map<String, String> row : rows.values()) {
            String method = row.get("method");
            if (method.equals("original")) {
                continue;
            }
            int knob = method.equals("pq") ? Integer.parseInt(row.get("pq_dim"))
                    : method.equals("bin") ? 0 : Integer.parseInt(row.get("rank"));
            Integer layer = row.get("study").equals("all") ? null : layerIndex(row.get("study"));
            double rate = Double.parseDouble(row.get("compression_rate"));
            String where = row + "; " + what;
            assertEquals(expectedRate(method, knob, layer), rate, 1e-4, where);
            if (!method.equals("pq")) {
                assertTrue(rate > 1, where); // every layer compresses at k=2 and under bin; pq at 256 centroids does not
            }
            double top1 = Double.parseDouble(row.get("top1_error"));
            assertTrue(top1 >= 0 && top1 <= 1, where);
            assertTrue(Double.parseDouble(row.get("output_rel_error")) >= 0, where);
        }
        // Each layer alone: GER refines AS.
        for (DenseLayer d : stack.layers()) {
            Map<String, String> as = rows.get(d.name() + " as 2");
            Map<String, String> ger = rows.get(d.name() + " ger 2");
            assertTrue(Double.parseDouble(ger.get("calib_output_rel_error"))
                    <= Double.parseDouble(as.get("calib_output_rel_error")) + 1e-5, what);
        }

        JsonNode json = new ObjectMapper().readTree(sweep.resolve("results.json").toFile());
        assertEquals(rows.size(), json.get("rows").size(), what);
        for (JsonNode row : json.get("rows")) {
            assertTrue(row.has("top1_error") && row.has("top5_error"), row.toString());
            assertTrue(row.get("top1_error").isNumber(), row.toString());
        }
    }

    private int layerIndex(String name) {
        for (int l = 0; l < stack.depth(); l++) {
            if (stack.layer(l).name().equals(name)) {
                return l;
            }
        }
        throw new AssertionError("no layer " + name);
    }

    /**
     * The compression rate docs/method.md defines, computed here from the shapes: of the stack with
     * every layer compressed (layer == null), or of that one layer alone (a single-layer row); a layer
     * stays dense where its form would not shrink it.
     */
    private double expectedRate(String method, int knob, Integer layer) {
        long original = 0;
        long stored = 0;
        for (int l = 0; l < stack.depth(); l++) {
            long out = stack.layer(l).out();
            long in = stack.layer(l).in();
            long dense = 32 * out * in;
            long bits = switch (method) {
                case "pq" -> ProductQuantization.storedBits((int) out, (int) in, knob, 256);
                case "bin" -> 8 * out * ((in + 7) / 8) + 32 * out;
                default -> knob > Math.min(out, in) ? dense : 32L * knob * (out + in);
            };
            if (layer == null || layer == l) {
                original += dense;
                stored += Math.min(dense, bits);
            }
        }
        return (double) original / stored;
    }

    @Test
    void aSweepRerunReplacesItsFilesAndLeavesNoStaleOnesAndSavesModels() throws Exception {
        Path sweep = dir.resolve("rerun-" + seed);
        String[] common = fast("sweep", "--model", model.toString(), "--calib", calibFile.toString(),
                "--data", evalFile.toString(), "--labels", labelFile.toString(), "--out", sweep.toString(),
                "--methods", "lrd,pq", "--ranks", "2", "--pq-dims", "2");
        Run first = cli(Stream.concat(Stream.of(common), Stream.of("--single-layer-ranks", "2")).toArray(String[]::new));
        assertEquals(0, first.code(), seedNote(first));
        assertTrue(Files.isRegularFile(sweep.resolve("single_layer.png")), seedNote(first));
        Run second = cli(Stream.concat(Stream.of(common), Stream.of("--no-single-layer", "--save-models")).toArray(String[]::new));
        String what = seedNote(second);
        assertEquals(0, second.code(), what);
        assertTrue(second.out().startsWith("replaced the earlier results in " + sweep), what);
        assertTrue(!Files.exists(sweep.resolve("single_layer.png")) && !Files.exists(sweep.resolve("single_layer.svg")), what);
        for (String name : List.of("lrd-k2.safetensors", "pq-s2.safetensors")) {
            CompressedModel c = ModelFiles.loadCompressed(sweep.resolve("models").resolve(name));
            assertEquals(name.substring(0, name.indexOf('-')), c.metadata().get("method"), what);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // validate

    @Test
    void validateJavaAgainstItselfFindsNoDifference() {
        String[] job = fast("validate", "--model", model.toString(), "--calib", calibFile.toString(), "--method", "ger",
                "--rank", "3", "--against", "java");
        Run run = cli(job);
        String what = seedNote(run);
        assertEquals(0, run.code(), what);
        Matcher m = Pattern.compile("max relative difference: (\\S+)").matcher(run.lastLine());
        assertTrue(m.matches(), what);
        assertEquals(0.0, Double.parseDouble(m.group(1)), what);
        assertTrue(run.out().contains("as (initialisation of ger)"), what);

        List<String> strictArgs = new ArrayList<>(List.of(job));
        strictArgs.addAll(List.of("--tolerance", "-1"));
        Run strict = cli(strictArgs.toArray(String[]::new));
        assertEquals(1, strict.code(), seedNote(strict));
    }

    // ---------------------------------------------------------------------------------------------
    // bench

    @Test
    void benchReportsPhasesAndErrors() throws Exception {
        Path json = dir.resolve("bench.json");
        Run run = cli("bench", "--workload", "small", "--n", "600", "--rank", "8", "--lambda-schedule", "0.01x1,1x1",
                "--epochs", "1", "--backend", "java", "--no-roofline", "--out", json.toString());
        assertEquals(0, run.code(), run.toString());
        JsonNode b = new ObjectMapper().readTree(json.toFile());
        Map<String, Double> phases = new HashMap<>();
        b.get("phases").forEach(p -> phases.put(p.get("name").asText(), p.get("ms").asDouble()));
        for (String phase : List.of("gram_fc6", "init_fc6", "global_epoch", "end_to_end")) {
            assertTrue(phases.containsKey(phase), phase + " missing: " + phases);
            assertTrue(phases.get(phase) > 0, phase + ": " + phases);
        }
        assertTrue(phases.get("end_to_end") >= phases.get("init_fc6"), phases.toString());
        double init = b.get("output_rel_error_init").asDouble();
        double ger = b.get("output_rel_error").asDouble();
        assertTrue(init > 0 && Double.isFinite(init), b.toString());
        assertTrue(ger <= init * (1 + 1e-6), "GER " + ger + " worse than its initialisation " + init);
        assertFalse(b.has("roofline"), "--no-roofline still measured the roofline");
        assertEquals("java", b.get("backend").asText());
        assertEquals(600, b.get("workload").get("n").asInt());
    }

    @Test
    void benchExportFeedsCompress() {
        Path export = dir.resolve("export");
        Run run = cli("bench", "--workload", "small", "--n", "150", "--backend", "java", "--export", export.toString());
        assertEquals(0, run.code(), run.toString());
        FcStack exported = ModelFiles.loadStack(export.resolve("model.safetensors"), null);
        assertEquals(512, exported.inputDim());
        Matrix x = Npy.readMatrix(export.resolve("calib.npy"));
        assertEquals(150, x.rows());
        assertEquals(512, x.cols());
        Path compressed = export.resolve("c.safetensors");
        Run c = cli(fast("compress", "--model", export.resolve("model.safetensors").toString(),
                "--calib", export.resolve("calib.npy").toString(), "--method", "lrd", "--rank", "8",
                "--out", compressed.toString()));
        assertEquals(0, c.code(), c.toString());
        assertEquals("lrd", ModelFiles.loadCompressed(compressed).metadata().get("method"));
    }

    // ---------------------------------------------------------------------------------------------
    // train

    @Test
    void trainFitsThreeBlobs() {
        Random r = new Random(seed + 1);
        Path x = dir.resolve("blobs-x.npy");
        Path y = dir.resolve("blobs-y.npy");
        Path xt = dir.resolve("blobs-xt.npy");
        Path yt = dir.resolve("blobs-yt.npy");
        writeBlobs(r, 150, x, y);
        writeBlobs(r, 60, xt, yt);
        Path trained = dir.resolve("blobs.safetensors");
        Run run = cli("train", "--backend", "java", "--data", x.toString(), "--labels", y.toString(), "--hidden", "8",
                "--epochs", "12", "--lr", "0.05", "--milestones", "10", "--batch", "16", "--seed", "7",
                "--out", trained.toString(), "--test-data", xt.toString(), "--test-labels", yt.toString());
        String what = seedNote(run);
        assertEquals(0, run.code(), what);
        FcStack m = ModelFiles.loadStack(trained, null);
        assertEquals(2, m.depth(), what);
        assertEquals(4, m.inputDim(), what);
        assertEquals(8, m.layer(0).out(), what);
        assertEquals(3, m.outputDim(), what);
        Matcher top1 = Pattern.compile("test: top-1 error ([0-9.]+)").matcher(run.out());
        assertTrue(top1.find(), what);
        assertTrue(Double.parseDouble(top1.group(1)) < 0.2, what); // the blobs are 6 standard deviations apart
    }

    /** Three Gaussian blobs in 4-D, centres 6 apart, labels 0..2. */
    private static void writeBlobs(Random r, int n, Path x, Path y) {
        Matrix m = Matrix.zeros(n, 4);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int j = 0; j < 4; j++) {
                m.set(i, j, (float) ((j == labels[i] ? 6 : 0) + r.nextGaussian()));
            }
        }
        Npy.writeMatrix(x, m);
        Npy.writeLabels(y, labels);
    }

    // ---------------------------------------------------------------------------------------------
    // bad input: exit 2, a message naming the problem, no output left behind

    /** Runs compress with these changes, expects exit 2 with {@code fragments} in the message, and no output. */
    private void compressFails(List<String> changes, String... fragments) throws Exception {
        Path outDir = Files.createTempDirectory(dir, "fail");
        Path outFile = outDir.resolve("c.safetensors");
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < FAST.length; i += 2) {
            opts.put(FAST[i], FAST[i + 1]);
        }
        opts.put("--model", model.toString());
        opts.put("--calib", calibFile.toString());
        opts.put("--method", "ger");
        opts.put("--rank", "3");
        opts.put("--out", outFile.toString());
        opts.put("--report", outDir.resolve("r.json").toString());
        for (int i = 0; i < changes.size(); i += 2) {
            if (changes.get(i + 1) == null) {
                opts.remove(changes.get(i));
            } else {
                opts.put(changes.get(i), changes.get(i + 1));
            }
        }
        List<String> a = new ArrayList<>(List.of("compress"));
        opts.forEach((k, v) -> {
            a.add(k);
            a.add(v);
        });
        Run run = expectBadInput(a.toArray(String[]::new), fragments);
        try (Stream<Path> left = Files.list(outDir)) {
            assertEquals(List.of(), left.toList(), "files left behind; " + run);
        }
    }

    private Run expectBadInput(String[] a, String... fragments) {
        Run run = cli(a);
        String what = seedNote(run);
        assertEquals(2, run.code(), what);
        assertTrue(run.err().contains("ger: "), what);
        assertFalse(run.err().contains("\tat ger."), "a stack trace instead of a message; " + what);
        for (String f : fragments) {
            assertTrue(run.err().contains(f), "message lacks '" + f + "'; " + what);
        }
        return run;
    }

    @Test
    void badRankAndMethod() throws Exception {
        compressFails(List.of("--rank", "0"), "--rank", "0");
        compressFails(List.of("--rank", "5000"), "--rank 5000 shrinks no layer", stack.layer(0).name() + " "
                + ger.method.RankRule.maxUsefulRank(stack.layer(0).out(), stack.layer(0).in()));
        compressFails(Arrays.asList("--rank", null), "--rank", "ger");
        compressFails(List.of("--method", "svd"), "svd", "lrd, as, ger-ic, ger, pq, bin");
        compressFails(Arrays.asList("--method", "pq", "--rank", null, "--pq-dim", "0"), "--pq-dim", "0");
        compressFails(List.of("--method", "pq"), "--rank", "--pq-dim"); // --rank is not pq's knob
        compressFails(Arrays.asList("--method", "bin", "--rank", null, "--pq-dim", "2"), "--pq-dim", "bin");
        compressFails(List.of("--rate", "10"), "--rate", "--rank");
        compressFails(Arrays.asList("--rank", null, "--rate", "0.5"), "rate", "0.5");
        compressFails(Arrays.asList("--rank", null, "--ranks", "fc1:2,nosuch:3"), "nosuch", "fc1");
        compressFails(Arrays.asList("--rank", null, "--ranks", "fc1:2"), "--ranks", "fc2");
        compressFails(List.of("--keep", "fc9"), "--keep", "fc9");
        compressFails(List.of("--lr", "fast"), "--lr", "fast");
        compressFails(List.of("--backend", "nosuch"), "nosuch");
        compressFails(List.of("--lambda-schedule", "0.01y5"), "0.01y5");
        compressFails(List.of("--stream-rows", "-5"), "--stream-rows", "-5");
    }

    @Test
    void demoWithoutFashionMnistSaysHowToInstallIt() {
        Path nowhere = dir.resolve("no-fashion-mnist");
        Run run = cli("demo", "--backend", "java", "--data-dir", nowhere.toString(), "--out", dir.resolve("demo").toString());
        assertEquals(2, run.code(), run.toString());
        assertTrue(run.err().contains(nowhere.toString()) && run.err().contains("apt-get install dataset-fashion-mnist"),
                run.toString());
        assertFalse(Files.exists(dir.resolve("demo")), "no output folder for a demo that could not start");
    }

    @Test
    void badCalibration() throws Exception {
        Path empty = dir.resolve("empty.npy");
        Npy.writeMatrix(empty, Matrix.zeros(0, DIMS[0]));
        compressFails(List.of("--calib", empty.toString()), "no rows");
        Path narrow = dir.resolve("narrow.npy");
        Npy.writeMatrix(narrow, uniform(new Random(seed), 20, DIMS[0] - 1));
        compressFails(List.of("--calib", narrow.toString()), narrow + ", " + model + ": the calibration rows have "
                + (DIMS[0] - 1) + " columns but the model's first layer fc1 takes " + DIMS[0] + " inputs");
        Path missing = dir.resolve("no-such-calib.npy");
        compressFails(List.of("--calib", missing.toString()), missing.toString());
    }

    @Test
    void badModelFiles() throws Exception {
        Path missing = dir.resolve("no-such-model.safetensors");
        compressFails(List.of("--model", missing.toString()), missing.toString());
        Path truncated = dir.resolve("truncated.safetensors");
        byte[] whole = Files.readAllBytes(model);
        Files.write(truncated, Arrays.copyOf(whole, whole.length / 2));
        compressFails(List.of("--model", truncated.toString()), truncated.toString());
        compressFails(List.of("--layers", "fc1,fc3"), "fc3");
    }

    /** An output naming an input, however spelt (a link, a detour through ..), is refused before any work. */
    @Test
    void anOutputThatNamesAnInputIsRefused() throws Exception {
        Path copy = Files.createDirectories(dir.resolve("clobber")).resolve("m.safetensors");
        Files.copy(model, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path calibCopy = copy.resolveSibling("x.npy");
        Files.copy(calibFile, calibCopy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path link = Files.createSymbolicLink(copy.resolveSibling("link.safetensors"), copy);
        byte[] modelBytes = Files.readAllBytes(copy);
        byte[] calibBytes = Files.readAllBytes(calibCopy);
        String detour = copy.getParent().resolve("../clobber/m.safetensors").toString();
        String[][] clashes = {
                {"--out", detour, "--out names the same file as --model"},
                {"--out", link.toString(), "--out names the same file as --model"},
                {"--out", calibCopy.toString(), "--out names the same file as --calib"},
                {"--report", copy.toString(), "--report names the same file as --model"},
                {"--report", copy.resolveSibling("c.safetensors").toString(), "--report names the same file as --out"},
        };
        for (String[] clash : clashes) {
            Map<String, String> opts = new LinkedHashMap<>(Map.of("--model", copy.toString(), "--calib", calibCopy.toString(),
                    "--out", copy.resolveSibling("c.safetensors").toString()));
            opts.put(clash[0], clash[1]);
            List<String> a = new ArrayList<>(List.of(fast("compress", "--method", "lrd", "--rank", "3")));
            opts.forEach((k, v) -> a.addAll(List.of(k, v)));
            Run run = expectBadInput(a.toArray(String[]::new), clash[1] + ": " + clash[2]);
            assertFalse(run.err().contains("rate"), "the job ran before the paths were checked; " + run);
            assertArrayEquals(modelBytes, Files.readAllBytes(copy), "the model changed; " + run);
            assertArrayEquals(calibBytes, Files.readAllBytes(calibCopy), "the calibration rows changed; " + run);
        }
        Path sweepOut = dir.resolve("clobber-sweep");
        Path labelsInOut = Files.createDirectories(sweepOut).resolve("results.json");
        Files.copy(labelFile, labelsInOut, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        expectBadInput(fast("sweep", "--model", model.toString(), "--calib", calibFile.toString(), "--data", evalFile.toString(),
                "--labels", labelsInOut.toString(), "--out", sweepOut.toString(), "--methods", "lrd", "--ranks", "2"),
                "--out names the same file as --labels");
        Path trainOut = copy.resolveSibling("y.npy");
        Files.copy(labelFile, trainOut, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        expectBadInput(new String[] {"train", "--backend", "java", "--data", evalFile.toString(), "--labels", trainOut.toString(),
                "--out", trainOut.toString()}, "--out names the same file as --labels");
    }

    @Test
    void anUnwritableReportLeavesNoModelBehind() throws Exception {
        Path report = Files.createDirectories(dir.resolve("report-is-a-folder"));
        compressFails(List.of("--method", "lrd", "--report", report.toString()), report.toString());
    }

    @Test
    void evalOnAModelWithFewerThanFiveOutputsReportsTopOneByDefault() {
        Random r = new Random(seed);
        FcStack three = new FcStack(List.of(new DenseLayer("fc1", gaussian(r, 3, DIMS[0], 0.3), gaussian(r, 1, 3, 0.1))));
        Path file = dir.resolve("three-outputs.safetensors");
        ModelFiles.saveStack(file, three, Map.of());
        Npy.writeLabels(dir.resolve("yv3.npy"), Arrays.stream(evalY).map(y -> y % 3).toArray());
        Run run = cli("eval", "--backend", "java", "--model", file.toString(), "--data", evalFile.toString(),
                "--labels", dir.resolve("yv3.npy").toString());
        assertEquals(0, run.code(), seedNote(run));
        assertTrue(run.out().contains("top-1 error") && !run.out().contains("top-5"), seedNote(run));
        expectBadInput(new String[] {"eval", "--backend", "java", "--model", file.toString(), "--data", evalFile.toString(),
                "--labels", dir.resolve("yv3.npy").toString(), "--topk", "1,5"}, "top-5 is outside 1..3");
    }

    @Test
    void evalLabelCountMismatch() {
        Path fewer = dir.resolve("fewer-labels.npy");
        Npy.writeLabels(fewer, Arrays.copyOf(evalY, evalY.length - 1));
        expectBadInput(new String[] {"eval", "--backend", "java", "--model", model.toString(), "--data", evalFile.toString(),
                "--labels", fewer.toString()}, evalFile + ", " + fewer + ", " + model + ": "
                + (evalY.length - 1) + " labels for " + evalY.length + " rows");
    }

    @Test
    void sweepRefusalsNameTheFiles() {
        Path fewer = dir.resolve("sweep-fewer-labels.npy");
        Npy.writeLabels(fewer, Arrays.copyOf(evalY, evalY.length - 1 - new Random(seed).nextInt(10)));
        Path sweep = dir.resolve("sweep-named");
        Run run = expectBadInput(fast("sweep", "--model", model.toString(), "--calib", calibFile.toString(),
                "--data", evalFile.toString(), "--labels", fewer.toString(), "--out", sweep.toString(),
                "--methods", "lrd", "--ranks", "2"), " labels for " + evalY.length + " rows");
        assertTrue(run.err().contains(fewer.toString()) && run.err().contains(evalFile.toString()), seedNote(run));
        assertFalse(Files.exists(sweep.resolve("results.csv")));
    }

    @Test
    void badSweepGrid() {
        Path sweep = dir.resolve("bad-sweep");
        expectBadInput(fast("sweep", "--model", model.toString(), "--calib", calibFile.toString(),
                "--data", evalFile.toString(), "--labels", labelFile.toString(), "--out", sweep.toString(),
                "--methods", "lrd", "--ranks", "0"), "--rank", "0");
        assertFalse(Files.exists(sweep.resolve("results.csv")));
        // The single-layer ranks are checked before any job runs, not after the whole first study.
        Run late = expectBadInput(fast("sweep", "--model", model.toString(), "--calib", calibFile.toString(),
                "--data", evalFile.toString(), "--labels", labelFile.toString(), "--out", sweep.toString(),
                "--methods", "lrd", "--ranks", "2", "--single-layer-ranks", "0"), "--single-layer-ranks", "0");
        assertFalse(late.err().contains(" rate "), "jobs ran before the grid was checked; " + late);
        assertFalse(Files.exists(sweep.resolve("results.csv")));
    }

    @Test
    void helpOnEveryCommand() {
        Run top = cli("--help");
        assertEquals(0, top.code(), top.toString());
        assertTrue(top.out().contains("Usage: ger"), top.toString());
        Set<String> commands = new CommandLine(new Main()).getSubcommands().keySet();
        assertTrue(commands.containsAll(List.of("compress", "eval", "info", "sweep", "train", "demo", "validate", "bench")),
                commands.toString());
        for (String command : commands) {
            Run run = cli(command, "--help");
            assertEquals(0, run.code(), command + ": " + run);
            assertTrue(run.out().contains("Usage: ger " + command), command + ": " + run);
        }
        Run version = cli("--version");
        assertEquals(0, version.code(), version.toString());
        assertTrue(version.out().contains(Main.VERSION), version.toString());
    }

    // ---------------------------------------------------------------------------------------------
    // problems and float64 references

    private static Matrix gaussian(Random r, int rows, int cols, double scale) {
        Matrix m = Matrix.zeros(rows, cols);
        for (long i = 0; i < m.size(); i++) {
            m.setFlat(i, (float) (scale * r.nextGaussian()));
        }
        return m;
    }

    /** Non-negative rows in [0, 1.5), like post-ReLU features. */
    private static Matrix uniform(Random r, int rows, int cols) {
        Matrix m = Matrix.zeros(rows, cols);
        for (long i = 0; i < m.size(); i++) {
            m.setFlat(i, 1.5f * r.nextFloat());
        }
        return m;
    }

    /** n evaluation rows whose top two original logits are more than 1e-3 apart, so float32 agrees on the argmax. */
    private Matrix clearlyLabelled(Random r, int n) {
        List<Layer> original = originalLayers();
        Matrix x = Matrix.zeros(n, DIMS[0]);
        int kept = 0;
        while (kept < n) {
            Matrix row = uniform(r, 1, DIMS[0]);
            double[] logits = hostForward(original, row)[0];
            double[] sorted = logits.clone();
            Arrays.sort(sorted);
            if (sorted[sorted.length - 1] - sorted[sorted.length - 2] > 1e-3) {
                for (int j = 0; j < DIMS[0]; j++) {
                    x.set(kept, j, row.get(0, j));
                }
                kept++;
            }
        }
        return x;
    }

    /** A layer as the host forward sees it: weight out x in, bias 1 x out. */
    private record Layer(Matrix weight, Matrix bias) {
    }

    private List<Layer> originalLayers() {
        return stack.layers().stream().map(d -> new Layer(d.weight(), d.bias())).toList();
    }

    private static List<Layer> layersOf(CompressedModel c) {
        return c.layers().stream().map(l -> new Layer(l.denseWeight(), l.bias())).toList();
    }

    /** The logits, n x out, in float64; ReLU after every layer but the last. */
    private static double[][] hostForward(List<Layer> layers, Matrix x) {
        double[][] h = new double[x.rows()][x.cols()];
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < x.cols(); j++) {
                h[i][j] = x.get(i, j);
            }
        }
        for (int l = 0; l < layers.size(); l++) {
            Matrix w = layers.get(l).weight();
            Matrix b = layers.get(l).bias();
            double[][] a = new double[h.length][w.rows()];
            for (int i = 0; i < h.length; i++) {
                for (int o = 0; o < w.rows(); o++) {
                    double s = b.get(0, o);
                    for (int j = 0; j < w.cols(); j++) {
                        s += w.get(o, j) * h[i][j];
                    }
                    a[i][o] = l < layers.size() - 1 ? Math.max(0, s) : s;
                }
            }
            h = a;
        }
        return h;
    }

    /** ||F^(x) - F(x)||_F / ||F(x)||_F, float64. */
    private double hostRelError(CompressedModel c, Matrix x) {
        double[][] f = hostForward(originalLayers(), x);
        double[][] g = hostForward(layersOf(c), x);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < f.length; i++) {
            for (int j = 0; j < f[i].length; j++) {
                diff += (g[i][j] - f[i][j]) * (g[i][j] - f[i][j]);
                norm += f[i][j] * f[i][j];
            }
        }
        return Math.sqrt(diff / norm);
    }

    private static int[] argmax(double[][] logits) {
        int[] best = new int[logits.length];
        for (int i = 0; i < logits.length; i++) {
            for (int j = 1; j < logits[i].length; j++) {
                if (logits[i][j] > logits[i][best[i]]) {
                    best[i] = j;
                }
            }
        }
        return best;
    }
}
