package ger.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SweepWriter's tables and Chart's PNG/SVG from synthetic sweep rows. */
class ChartTest {
    private static final int[] KS = {1, 5};
    private final long seed = System.nanoTime();

    @TempDir
    Path dir;

    /** A sweep's rows: lrd/ger at three ranks, pq at two dims, bin once, all layers and fc1, fc2 alone. */
    private List<SweepRow> rows(Random r) {
        List<SweepRow> rows = new ArrayList<>();
        for (String study : List.of("all", "fc1", "fc2")) {
            for (String method : List.of("lrd", "ger")) {
                for (int k : new int[] {4, 16, 64}) {
                    rows.add(row(r, study, method, k, 512.0 / k));
                }
            }
            for (int s : new int[] {2, 8}) {
                rows.add(row(r, study, "pq", s, 3.0 * s));
            }
            rows.add(row(r, study, "bin", 0, 31.5));
        }
        return rows;
    }

    private static SweepRow row(Random r, String study, String method, int knob, double rate) {
        double top1 = 0.1 + 0.8 * r.nextDouble();
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put("svd", r.nextDouble());
        phases.put("evaluate", r.nextDouble());
        return new SweepRow(study, method, knob, null, null, rate, new double[] {top1, top1 * r.nextDouble()}, r.nextDouble(),
                r.nextDouble(), null, phases, 10 * r.nextDouble(), List.of());
    }

    private static SweepRow original() {
        return new SweepRow("all", "original", 0, null, null, 1.0, new double[] {0.08, 0.01}, 0, 0, null, Map.of(), 0, List.of());
    }

    @Test
    void writesTablesAndChartsThatReadBack() throws Exception {
        Random r = new Random(seed);
        List<SweepRow> rows = rows(r);
        SweepWriter.write(dir, KS, original(), rows, Map.of("model", "synthetic & <test>"));
        String what = "seed " + seed;

        List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
        assertEquals(rows.size() + 2, csv.size(), what);
        checkCsv(csv, rows, what);

        JsonNode json = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
        assertEquals("synthetic & <test>", json.get("model").asText());
        assertEquals(rows.size() + 1, json.get("rows").size(), what);
        for (int i = 0; i < rows.size(); i++) {
            SweepRow expected = rows.get(i);
            JsonNode row = json.get("rows").get(i + 1);
            assertEquals(expected.study(), row.get("study").asText(), what);
            assertEquals(expected.rate(), row.get("compression_rate").asDouble(), 0.0, what);
            assertEquals(expected.topkError()[0], row.get("top1_error").asDouble(), 0.0, what);
            assertEquals(expected.topkError()[1], row.get("top5_error").asDouble(), 0.0, what);
            assertEquals(expected.method().equals("pq") ? expected.knob() : null,
                    row.get("pq_dim").isNull() ? null : row.get("pq_dim").asInt(), what);
        }
        String md = Files.readString(dir.resolve("results.md"));
        assertEquals(rows.size() + 1, md.lines().filter(l -> l.startsWith("| all") || l.startsWith("| fc")).count(), md);

        BufferedImage all = ChartFiles.assertPngDrawn(dir.resolve("rate_distortion.png"));
        BufferedImage single = ChartFiles.assertPngDrawn(dir.resolve("single_layer.png"));
        assertEquals(2 * all.getWidth(), single.getWidth(), "one panel per layer");
        assertEquals(all.getHeight(), single.getHeight());

        // Every point in both plots, one legend entry per series, inside the picture.
        Document svg = ChartFiles.assertSvgParses(dir.resolve("rate_distortion.svg"));
        List<SweepRow> allRows = rows.stream().filter(x -> x.study().equals("all")).toList();
        for (String kind : List.of("error", "excess")) {
            Element plot = only(groups(svg.getDocumentElement(), "plot", "kind", kind));
            for (String method : List.of("lrd", "ger", "pq", "bin")) {
                long points = allRows.stream().filter(x -> x.method().equals(method)).count();
                assertEquals(points, markers(only(groups(plot, "series", "label", method))).size(), kind + " " + method + "; " + what);
            }
        }
        assertEquals(List.of("lrd", "ger", "pq", "bin", "original"), labels(only(groups(svg.getDocumentElement(), "legend", null, null))));
        double width = Double.parseDouble(svg.getDocumentElement().getAttribute("width"));
        double height = Double.parseDouble(svg.getDocumentElement().getAttribute("height"));
        for (Element series : groups(svg.getDocumentElement(), "series", null, null)) {
            for (double[] c : markers(series)) {
                assertTrue(c[0] >= 0 && c[0] <= width && c[1] >= 0 && c[1] <= height, "marker at " + c[0] + ", " + c[1] + "; " + what);
            }
        }
        String text = svg.getDocumentElement().getTextContent();
        for (String label : List.of("lrd", "ger", "pq", "bin", "original", "top-1 error", "above the original")) {
            assertTrue(text.contains(label), label + " missing from the chart");
        }
        Document singleSvg = ChartFiles.assertSvgParses(dir.resolve("single_layer.svg"));
        String singleText = singleSvg.getDocumentElement().getTextContent();
        assertTrue(singleText.contains("fc1 alone") && singleText.contains("fc2 alone"), singleText);
        int singleMarkers = groups(singleSvg.getDocumentElement(), "series", null, null).stream().mapToInt(g -> markers(g).size()).sum();
        assertEquals(2 * (rows.size() - allRows.size()), singleMarkers, what);
    }

    /** Higher rate, further right; higher error, higher on the page (y grows downward), in both plots. */
    @Test
    void pointsArePlacedByRateAndError() throws Exception {
        List<SweepRow> rows = List.of(
                new SweepRow("all", "lrd", 8, null, null, 2.0, new double[] {0.2, 0.1}, 0, 0, null, Map.of(), 0, List.of()),
                new SweepRow("all", "lrd", 4, null, null, 20.0, new double[] {0.6, 0.3}, 0, 0, null, Map.of(), 0, List.of()));
        SweepWriter.write(dir, KS, original(), rows, Map.of());
        assertFalse(Files.exists(dir.resolve("single_layer.png")), "no layer studies, no single-layer chart");
        assertFalse(Files.exists(dir.resolve("single_layer.svg")));
        Document svg = ChartFiles.assertSvgParses(dir.resolve("rate_distortion.svg"));
        for (String kind : List.of("error", "excess")) {
            List<double[]> c = markers(only(groups(only(groups(svg.getDocumentElement(), "plot", "kind", kind)), "series", "label", "lrd")));
            assertEquals(2, c.size());
            assertTrue(c.get(1)[0] > c.get(0)[0], kind + ": " + c.get(0)[0] + " " + c.get(1)[0]);
            assertTrue(c.get(1)[1] < c.get(0)[1], kind + ": the larger error is drawn higher: " + c.get(0)[1] + " " + c.get(1)[1]);
        }
    }

    /**
     * The excess plot is logarithmic: excesses of 1e-3, 1e-2 and 1e-1 over the original are evenly
     * spaced, and a point at or below the original sits on the strip beneath all of them.
     */
    @Test
    void theExcessPlotIsLogarithmicWithAStripForNoExcess() throws Exception {
        Random r = new Random(seed);
        double base = 0.05 + 0.3 * r.nextDouble();
        List<SweepRow> rows = new ArrayList<>();
        double[] excess = {-0.01 * r.nextDouble(), 1e-3, 1e-2, 1e-1};
        for (int i = 0; i < excess.length; i++) {
            rows.add(new SweepRow("all", "ger", 64 >> i, null, null, 2.0 + 3 * i, new double[] {base + excess[i], 0}, 0, 0, null, Map.of(), 0, List.of()));
        }
        SweepWriter.write(dir, KS, new SweepRow("all", "original", 0, null, null, 1.0, new double[] {base, 0}, 0, 0, null, Map.of(), 0, List.of()), rows, Map.of());
        Document svg = ChartFiles.assertSvgParses(dir.resolve("rate_distortion.svg"));
        List<double[]> c = markers(only(groups(only(groups(svg.getDocumentElement(), "plot", "kind", "excess")), "series", "label", "ger")));
        String what = "seed " + seed + ", original " + base;
        assertEquals(c.get(1)[1] - c.get(2)[1], c.get(2)[1] - c.get(3)[1], 0.2, what);
        assertTrue(c.get(3)[1] < c.get(2)[1], what);
        assertTrue(c.get(0)[1] > c.get(1)[1] + 10, "the point below the original is not beneath the log range; " + what);
        assertTrue(svg.getDocumentElement().getTextContent().contains("\u2264 0"), "no label for the strip");
    }

    /**
     * A layer that no method shrinks (a 10-class last layer): the points at rate 1 carry nothing, so
     * neither they nor their legend entries are drawn, and the legend says which series were left out.
     */
    @Test
    void pointsAtRateOneAreLeftOutAndNamed() throws Exception {
        List<SweepRow> rows = new ArrayList<>();
        for (String method : List.of("lrd", "as", "ger")) {
            for (int k : new int[] {16, 64}) {
                rows.add(new SweepRow("fc2", method, k, null, null, 1.0, new double[] {0.104, 0.01}, 0, 0, null, Map.of(), 0, List.of()));
            }
        }
        rows.add(new SweepRow("fc2", "pq", 1, null, null, 1.0, new double[] {0.104, 0.01}, 0, 0, null, Map.of(), 0, List.of()));
        rows.add(new SweepRow("fc2", "pq", 8, null, null, 3.2, new double[] {0.11, 0.01}, 0, 0, null, Map.of(), 0, List.of()));
        rows.add(new SweepRow("fc2", "bin", 0, null, null, 31.0, new double[] {0.125, 0.02}, 0, 0, null, Map.of(), 0, List.of()));
        rows.add(new SweepRow("all", "bin", 0, null, null, 31.0, new double[] {0.39, 0.02}, 0, 0, null, Map.of(), 0, List.of()));
        SweepWriter.write(dir, KS, new SweepRow("all", "original", 0, null, null, 1.0, new double[] {0.104, 0.01}, 0, 0, null, Map.of(), 0, List.of()),
                rows, Map.of());
        Document svg = ChartFiles.assertSvgParses(dir.resolve("single_layer.svg"));
        Element root = svg.getDocumentElement();
        assertEquals(List.of("pq", "bin", "original"), labels(only(groups(root, "legend", null, null))));
        for (Element series : groups(root, "series", null, null)) {
            assertEquals(1, markers(series).size(), series.getAttribute("data-label") + ": only its point above 1x");
        }
        String text = root.getTextContent().replaceAll("\\s+", " ");
        assertTrue(text.contains("not drawn: lrd, as, ger, pq"), text);
    }

    /** Any number of series, each with its own look; a method keeps its look when variants join it. */
    @Test
    void everySeriesHasItsOwnStyleAndVariantsKeepTheirFamilysColour() {
        List<String> methods = List.of("lrd", "as", "ger-ic", "ger", "pq", "bin");
        Map<String, Chart.Style> plain = Chart.styles(methods);
        List<String> withVariants = List.of("lrd", "lrd (budget)", "as", "ger-ic", "ger (budget)", "ger", "ger (other)",
                "pq", "bin", "lrd (third)", "as (budget)", "ger-ic (budget)");
        Map<String, Chart.Style> styles = Chart.styles(withVariants);
        assertEquals(withVariants.size(), styles.size());
        Set<String> looks = new HashSet<>();
        Set<String> shapes = new HashSet<>();
        for (Map.Entry<String, Chart.Style> e : styles.entrySet()) {
            Chart.Style s = e.getValue();
            assertTrue(looks.add(s.color() + " " + s.marker() + s.filled() + " " + Arrays.toString(s.dash())), "shared look: " + e.getKey());
            shapes.add(s.marker() + " " + s.filled() + " " + Arrays.toString(s.dash()));
            String family = Chart.family(e.getKey());
            Chart.Style base = styles.get(family);
            assertEquals(base.marker(), s.marker(), e.getKey());
            if (!family.equals(e.getKey())) {
                assertTrue(s.filled() && !Arrays.equals(base.dash(), s.dash()), e.getKey() + ": not told apart from " + family);
                assertTrue(s.color().getRed() <= base.color().getRed() && s.color().getGreen() <= base.color().getGreen()
                        && s.color().getBlue() <= base.color().getBlue(), e.getKey() + ": not a shade of " + family);
            }
        }
        assertEquals(withVariants.size(), shapes.size(), "two series differ by colour alone");
        for (String m : methods) {
            assertEquals(plain.get(m), styles.get(m), m + " changed its look when variants joined it");
        }
    }

    /** Linear ticks: steps of 1, 2 or 5 x 10^k, 3 to 7 of them, covering the data, labels that read as their values. */
    @Test
    void linearTicksAreNice() {
        Random r = new Random(seed);
        for (int trial = 0; trial < 500; trial++) {
            double scale = Math.pow(10, r.nextInt(8) - 5);
            double lo = r.nextDouble() * scale;
            double hi = lo + (1e-3 + r.nextDouble()) * scale;
            Chart.Axis axis = Chart.Axis.linearNice(lo, hi, 300, 0);
            List<Chart.Axis.Tick> ticks = axis.ticks();
            String what = "seed " + seed + ", " + lo + ".." + hi + ": " + ticks;
            assertTrue(ticks.size() >= 3 && ticks.size() <= 8, what);
            assertTrue(axis.lo() <= lo && axis.hi() >= hi, what);
            double step = Double.parseDouble(ticks.get(1).label()) - Double.parseDouble(ticks.get(0).label());
            double mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
            assertTrue(Math.abs(mantissa - 1) < 1e-6 || Math.abs(mantissa - 2) < 1e-6 || Math.abs(mantissa - 5) < 1e-6, what);
            for (int i = 0; i < ticks.size(); i++) {
                double value = Double.parseDouble(ticks.get(i).label());
                assertEquals(axis.lo() + i * step, value, 1e-9 * scale, what);
                assertEquals(axis.at(value), ticks.get(i).at(), 1e-6, what);
                assertTrue(ticks.get(i).label().length() <= 12, what);
            }
        }
    }

    /** The files are for machines: a locale with a decimal comma must not change them. */
    @Test
    void filesDoNotDependOnTheLocale() throws Exception {
        Locale saved = Locale.getDefault();
        List<SweepRow> rows = rows(new Random(seed));
        try {
            Locale.setDefault(Locale.GERMANY);
            SweepWriter.write(dir, KS, original(), rows, Map.of());
        } finally {
            Locale.setDefault(saved);
        }
        checkCsv(Files.readAllLines(dir.resolve("results.csv")), rows, "seed " + seed + ", German locale");
        NodeList paths = ChartFiles.assertSvgParses(dir.resolve("rate_distortion.svg")).getElementsByTagNameNS("*", "path");
        for (int i = 0; i < paths.getLength(); i++) {
            String d = ((Element) paths.item(i)).getAttribute("d");
            assertTrue(d.matches("([MLQCZ](-?[0-9]+\\.[0-9])?( -?[0-9]+\\.[0-9])*)+"), "not SVG path data: " + d); // "12,5" is no SVG number
        }
    }

    /** The CSV: a header, the original, then the rows in order with their values to the printed precision. */
    private static void checkCsv(List<String> csv, List<SweepRow> rows, String what) {
        List<String> header = List.of(csv.getFirst().split(","));
        assertEquals(List.of("study", "method", "rank", "ranks", "budget_rate", "pq_dim", "compression_rate", "top1_error",
                "top5_error", "output_rel_error", "calib_output_rel_error", "predicted_calib_output_rel_error", "seconds",
                "phase_seconds"), header, what);
        assertTrue(csv.get(1).startsWith("all,original,,,,,1.0000,0.08000,0.01000,"), csv.get(1));
        for (int i = 0; i < rows.size(); i++) {
            SweepRow expected = rows.get(i);
            String[] cells = csv.get(i + 2).split(",", -1);
            assertEquals(header.size(), cells.length, csv.get(i + 2) + "; " + what);
            Map<String, String> cell = new java.util.HashMap<>();
            for (int c = 0; c < cells.length; c++) {
                cell.put(header.get(c), cells[c]);
            }
            assertEquals(expected.study(), cell.get("study"), what);
            assertEquals(expected.method(), cell.get("method"), what);
            boolean pq = expected.method().equals("pq");
            assertEquals(pq || expected.knob() == 0 ? "" : Integer.toString(expected.knob()), cell.get("rank"), what);
            assertEquals(pq ? Integer.toString(expected.knob()) : "", cell.get("pq_dim"), what);
            assertEquals(expected.rate(), Double.parseDouble(cell.get("compression_rate")), 5e-5, what);
            assertEquals(expected.topkError()[0], Double.parseDouble(cell.get("top1_error")), 5e-6, what);
            assertEquals(expected.topkError()[1], Double.parseDouble(cell.get("top5_error")), 5e-6, what);
            assertEquals(expected.outputRelError(), Double.parseDouble(cell.get("output_rel_error")), 5e-7, what);
            String phases = cell.get("phase_seconds");
            assertTrue(phases.startsWith("\"svd=") && phases.contains(";evaluate="), phases);
        }
    }

    /** The g elements under root of class cls, with data-KEY = value if key is not null. */
    private static List<Element> groups(Element root, String cls, String key, String value) {
        NodeList nodes = root.getElementsByTagNameNS("*", "g");
        List<Element> list = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element g = (Element) nodes.item(i);
            if (g.getAttribute("class").equals(cls) && (key == null || g.getAttribute("data-" + key).equals(value))) {
                list.add(g);
            }
        }
        return list;
    }

    private static Element only(List<Element> elements) {
        assertEquals(1, elements.size(), "expected one group");
        return elements.getFirst();
    }

    /** The legend's entries, in order. */
    private static List<String> labels(Element legend) {
        return groups(legend, "entry", null, null).stream().map(e -> e.getAttribute("data-label")).toList();
    }

    /** The centre of each marker of a series: the middle of its outline's bounding box. */
    private static List<double[]> markers(Element series) {
        List<double[]> centres = new ArrayList<>();
        NodeList paths = only(groups(series, "markers", null, null)).getElementsByTagNameNS("*", "path");
        for (int i = 0; i < paths.getLength(); i++) {
            double[] box = {Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
            Matcher m = Pattern.compile("(-?[0-9.]+) (-?[0-9.]+)").matcher(((Element) paths.item(i)).getAttribute("d"));
            while (m.find()) {
                double x = Double.parseDouble(m.group(1));
                double y = Double.parseDouble(m.group(2));
                box = new double[] {Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)};
            }
            centres.add(new double[] {(box[0] + box[2]) / 2, (box[1] + box[3]) / 2});
        }
        return centres;
    }
}
