package ger.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ger.io.AtomicFiles;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A sweep's files: results.csv, results.json, results.md, the rate-distortion chart
 * (rate_distortion.png/.svg) and, when present, the single-layer study's chart (single_layer.png/.svg).
 */
public final class SweepWriter {
    private SweepWriter() {
    }

    /** The file names a sweep may write; those a run does not write are removed, so no stale file stays beside new ones. */
    static final List<String> FILES = List.of("results.csv", "results.md", "results.json", "rate_distortion.png",
            "rate_distortion.svg", "single_layer.png", "single_layer.svg");

    /** Every file {@link #write} may create in {@code dir}. */
    public static List<Path> files(Path dir) {
        return FILES.stream().map(dir::resolve).toList();
    }

    /** Writes the sweep's files into dir and returns their names. */
    public static List<String> write(Path dir, int[] ks, SweepRow original, List<SweepRow> rows, Map<String, Object> context) {
        List<SweepRow> all = new ArrayList<>();
        all.add(original);
        all.addAll(rows);
        List<String> written = new ArrayList<>(List.of("results.csv", "results.md", "results.json"));
        AtomicFiles.write(dir.resolve("results.csv"), t -> Files.writeString(t, csv(ks, all), StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("results.md"), t -> Files.writeString(t, markdown(ks, all, context), StandardCharsets.UTF_8));
        Map<String, Object> json = new LinkedHashMap<>(context);
        json.put("topk", ks);
        json.put("rows", all.stream().map(r -> json(ks, r)).toList());
        AtomicFiles.write(dir.resolve("results.json"),
                t -> new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(t.toFile(), json));
        String yLabel = "top-" + ks[0] + " error";
        new Chart("compression rate of the FC weights (log scale)", yLabel)
                .panel(new Chart.Panel("all FC layers compressed", series(rows, "all"), original.topkError()[0]))
                .write(dir, "rate_distortion");
        written.addAll(List.of("rate_distortion.png", "rate_distortion.svg"));
        List<String> layers = rows.stream().map(SweepRow::study).filter(s -> !s.equals("all")).distinct().toList();
        if (!layers.isEmpty()) {
            Chart single = new Chart("compression rate of that layer (log scale)", yLabel);
            layers.forEach(l -> single.panel(new Chart.Panel(l + " alone", series(rows, l), original.topkError()[0])));
            single.write(dir, "single_layer");
            written.addAll(List.of("single_layer.png", "single_layer.svg"));
        }
        for (String f : FILES) {
            if (!written.contains(f)) {
                try {
                    Files.deleteIfExists(dir.resolve(f));
                } catch (java.io.IOException e) {
                    throw ger.GerException.inFile(dir.resolve(f), "a stale file of an earlier sweep could not be removed: " + e.getMessage());
                }
            }
        }
        return written;
    }

    private static Map<String, List<Chart.Point>> series(List<SweepRow> rows, String study) {
        return Chart.series(rows.stream().filter(r -> r.study().equals(study))
                .map(r -> (Map.Entry<String, Chart.Point>) new AbstractMap.SimpleEntry<>(r.series(),
                        new Chart.Point(r.rate(), r.topkError()[0])))
                .toList());
    }

    private static Map<String, Object> json(int[] ks, SweepRow r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("study", r.study());
        m.put("method", r.method());
        m.put("rank", r.method().equals("pq") || r.knob() == 0 ? null : r.knob());
        m.put("ranks", r.ranks());
        m.put("budget_rate", r.budgetRate());
        m.put("pq_dim", r.method().equals("pq") ? r.knob() : null);
        m.put("compression_rate", r.rate());
        for (int i = 0; i < ks.length; i++) {
            m.put("top" + ks[i] + "_error", r.topkError()[i]);
        }
        m.put("output_rel_error", r.outputRelError());
        m.put("calib_output_rel_error", r.calibRelError());
        m.put("predicted_calib_output_rel_error", r.predictedRelError());
        m.put("seconds", r.seconds());
        m.put("phase_seconds", r.phaseSeconds());
        m.put("notes", r.notes());
        return m;
    }

    /** The knob as the tables show it: s=4, k=16, or the per-layer ranks where they differ or a budget chose them. */
    private static String knob(SweepRow r) {
        if (r.method().equals("pq")) {
            return "s=" + r.knob();
        }
        if (r.knob() > 0 && r.budgetRate() == null) {
            return "k=" + r.knob();
        }
        return r.ranks() == null ? "" : r.ranks();
    }

    private static String orEmpty(Object value, String format) {
        return value == null ? "" : String.format(Locale.ROOT, format, value);
    }

    static String csv(int[] ks, List<SweepRow> rows) {
        StringBuilder b = new StringBuilder("study,method,rank,ranks,budget_rate,pq_dim,compression_rate");
        for (int k : ks) {
            b.append(",top").append(k).append("_error");
        }
        b.append(",output_rel_error,calib_output_rel_error,predicted_calib_output_rel_error,seconds,phase_seconds\n");
        for (SweepRow r : rows) {
            boolean pq = r.method().equals("pq");
            b.append(r.study()).append(',').append(r.method()).append(',')
                    .append(!pq && r.knob() > 0 ? r.knob() : "").append(',')
                    .append(r.ranks() == null ? "" : r.ranks().replace(',', ' ')).append(',')
                    .append(orEmpty(r.budgetRate(), "%.4f")).append(',')
                    .append(pq ? r.knob() : "")
                    .append(',').append(String.format(Locale.ROOT, "%.4f", r.rate()));
            for (double e : r.topkError()) {
                b.append(',').append(String.format(Locale.ROOT, "%.5f", e));
            }
            b.append(String.format(Locale.ROOT, ",%.6f,%.6f,%s,%.3f,", r.outputRelError(), r.calibRelError(),
                    orEmpty(r.predictedRelError(), "%.6f"), r.seconds()));
            b.append('"').append(r.phaseSeconds().entrySet().stream()
                    .map(e -> e.getKey() + "=" + String.format(Locale.ROOT, "%.3f", e.getValue())).collect(Collectors.joining(";"))).append("\"\n");
        }
        return b.toString();
    }

    static String markdown(int[] ks, List<SweepRow> rows, Map<String, Object> context) {
        StringBuilder b = new StringBuilder("# Rate-distortion sweep\n\n");
        context.forEach((k, v) -> b.append("- ").append(k).append(": ").append(v instanceof Map<?, ?> m
                ? m.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))
                : v).append('\n'));
        b.append("\n| study | method | knob | rate |");
        for (int k : ks) {
            b.append(" top-").append(k).append(" error |");
        }
        b.append(" output rel. error (evaluation) | output rel. error (calibration) | seconds |\n|---|---|---|---:|");
        b.append("---:|".repeat(ks.length)).append("---:|---:|---:|\n");
        for (SweepRow r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2fx |", r.study(), r.series(), knob(r), r.rate()));
            for (double e : r.topkError()) {
                b.append(String.format(Locale.ROOT, " %.4f |", e));
            }
            b.append(String.format(Locale.ROOT, " %.4f | %.4f | %.1f |%n", r.outputRelError(), r.calibRelError(), r.seconds()));
        }
        return b.toString();
    }
}
