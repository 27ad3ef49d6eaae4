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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

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

        // Every point and one legend mark per series, inside the picture.
        Document svg = ChartFiles.assertSvgParses(dir.resolve("rate_distortion.svg"));
        long allRows = rows.stream().filter(x -> x.study().equals("all")).count();
        assertEquals(allRows + 4, circles(svg).size(), what);
        double width = Double.parseDouble(svg.getDocumentElement().getAttribute("width"));
        double height = Double.parseDouble(svg.getDocumentElement().getAttribute("height"));
        for (Element c : circles(svg)) {
            double cx = Double.parseDouble(c.getAttribute("cx"));
            double cy = Double.parseDouble(c.getAttribute("cy"));
            assertTrue(cx >= 0 && cx <= width && cy >= 0 && cy <= height, "circle at " + cx + ", " + cy + "; " + what);
        }
        String text = svg.getDocumentElement().getTextContent();
        for (String label : List.of("lrd", "ger", "pq", "bin", "original", "top-1 error")) {
            assertTrue(text.contains(label), label + " missing from the chart");
        }
        Document singleSvg = ChartFiles.assertSvgParses(dir.resolve("single_layer.svg"));
        String singleText = singleSvg.getDocumentElement().getTextContent();
        assertTrue(singleText.contains("fc1 alone") && singleText.contains("fc2 alone"), singleText);
        assertEquals(rows.size() - allRows + 2 * 4, circles(singleSvg).size(), what);
    }

    /** Higher rate, further right; higher error, further down the page is less: y grows downward. */
    @Test
    void pointsArePlacedByRateAndError() throws Exception {
        List<SweepRow> rows = List.of(
                new SweepRow("all", "lrd", 8, null, null, 2.0, new double[] {0.2, 0.1}, 0, 0, null, Map.of(), 0, List.of()),
                new SweepRow("all", "lrd", 4, null, null, 20.0, new double[] {0.6, 0.3}, 0, 0, null, Map.of(), 0, List.of()));
        SweepWriter.write(dir, KS, original(), rows, Map.of());
        assertFalse(Files.exists(dir.resolve("single_layer.png")), "no layer studies, no single-layer chart");
        assertFalse(Files.exists(dir.resolve("single_layer.svg")));
        List<Element> c = circles(ChartFiles.assertSvgParses(dir.resolve("rate_distortion.svg")));
        assertEquals(3, c.size()); // two points, one legend mark
        double x2 = Double.parseDouble(c.get(0).getAttribute("cx"));
        double x20 = Double.parseDouble(c.get(1).getAttribute("cx"));
        double y2 = Double.parseDouble(c.get(0).getAttribute("cy"));
        double y20 = Double.parseDouble(c.get(1).getAttribute("cy"));
        assertTrue(x20 > x2, x2 + " " + x20);
        assertTrue(y20 < y2, "the larger error is drawn higher: " + y2 + " " + y20);
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
        for (Element c : circles(ChartFiles.assertSvgParses(dir.resolve("rate_distortion.svg")))) {
            Double.parseDouble(c.getAttribute("cx")); // "12,5" is no SVG number
            Double.parseDouble(c.getAttribute("r"));
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

    private static List<Element> circles(Document svg) {
        NodeList nodes = svg.getElementsByTagNameNS("*", "circle");
        List<Element> list = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            list.add((Element) nodes.item(i));
        }
        return list;
    }
}
