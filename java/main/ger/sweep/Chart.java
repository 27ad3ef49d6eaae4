package ger.sweep;

import ger.GerException;
import ger.io.AtomicFiles;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Rate-distortion charts: one or more panels side by side, each with a log-scale x axis
 * (compression rate) and a linear y axis (error), one curve per series; a series with a single
 * point (BIN) is drawn as a point. Written as PNG and SVG from the same drawing code.
 */
public final class Chart {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};
    private static final int PANEL_W = 520;
    private static final int PANEL_H = 380;
    private static final int LEFT = 62;
    private static final int RIGHT = 130;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    /** One point of a curve. */
    public record Point(double rate, double error) {
    }

    /** A titled panel: series name -> points (drawn in rate order). */
    public record Panel(String title, Map<String, List<Point>> series, Double baseline) {
    }

    private final String xLabel;
    private final String yLabel;
    private final List<Panel> panels = new ArrayList<>();

    public Chart(String xLabel, String yLabel) {
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public Chart panel(Panel p) {
        panels.add(p);
        return this;
    }

    /** Writes base.png and base.svg. */
    public void write(Path dir, String base) {
        int width = PANEL_W * Math.max(1, panels.size());
        Canvas.Svg svg = new Canvas.Svg(width, PANEL_H);
        Canvas.Png png = new Canvas.Png(width, PANEL_H);
        for (int i = 0; i < panels.size(); i++) {
            draw(svg, panels.get(i), i * PANEL_W);
            draw(png, panels.get(i), i * PANEL_W);
        }
        AtomicFiles.write(dir.resolve(base + ".svg"), t -> Files.writeString(t, svg.document(), StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve(base + ".png"), t -> {
            if (!ImageIO.write(png.image, "png", t.toFile())) {
                throw new GerException("no PNG writer in this Java runtime");
            }
        });
    }

    private void draw(Canvas c, Panel panel, int x0) {
        double minRate = Double.MAX_VALUE;
        double maxRate = 0;
        double maxErr = panel.baseline() == null ? 0 : panel.baseline();
        for (List<Point> pts : panel.series().values()) {
            for (Point p : pts) {
                minRate = Math.min(minRate, p.rate());
                maxRate = Math.max(maxRate, p.rate());
                maxErr = Math.max(maxErr, p.error());
            }
        }
        if (maxRate == 0) {
            minRate = 1;
            maxRate = 10;
        }
        double lo = Math.floor(Math.log10(Math.max(1, minRate) * 0.9));
        double hi = Math.ceil(Math.log10(maxRate * 1.1));
        if (hi <= lo) {
            hi = lo + 1;
        }
        double yMax = niceCeil(maxErr * 1.05);
        double plotW = PANEL_W - LEFT - RIGHT;
        double plotH = PANEL_H - TOP - BOTTOM;
        final double logLo = lo;
        final double logHi = hi;
        java.util.function.DoubleUnaryOperator px = r -> x0 + LEFT + plotW * (Math.log10(r) - logLo) / (logHi - logLo);
        java.util.function.DoubleUnaryOperator py = e -> TOP + plotH * (1 - e / yMax);
        Color grid = new Color(0xdddddd);
        Color ink = Color.BLACK;
        c.text(x0 + LEFT + plotW / 2, 22, panel.title(), 14, 0, ink);
        for (int d = (int) lo; d <= (int) hi; d++) {
            for (int m = 1; m < 10; m++) {
                double r = m * Math.pow(10, d);
                if (Math.log10(r) > hi + 1e-9) {
                    break;
                }
                double x = px.applyAsDouble(r);
                c.line(x, TOP, x, TOP + plotH, grid, m == 1 ? 1 : 0.5, false);
                if (m == 1 || m == 2 || m == 5) {
                    c.text(x, TOP + plotH + 16, (r >= 1 ? String.valueOf((long) r) : String.valueOf(r)) + "x", 11, 0, ink);
                }
            }
        }
        for (int t = 0; t <= 5; t++) {
            double e = yMax * t / 5;
            double y = py.applyAsDouble(e);
            c.line(x0 + LEFT, y, x0 + LEFT + plotW, y, grid, 0.5, false);
            c.text(x0 + LEFT - 6, y + 4, String.format(Locale.ROOT, "%.3f", e), 11, 1, ink);
        }
        c.line(x0 + LEFT, TOP + plotH, x0 + LEFT + plotW, TOP + plotH, ink, 1, false);
        c.line(x0 + LEFT, TOP, x0 + LEFT, TOP + plotH, ink, 1, false);
        c.text(x0 + LEFT + plotW / 2, PANEL_H - 12, xLabel, 12, 0, ink);
        c.text(x0 + 14, TOP - 10, yLabel, 12, -1, ink);
        if (panel.baseline() != null) {
            double y = py.applyAsDouble(panel.baseline());
            c.line(x0 + LEFT, y, x0 + LEFT + plotW, y, Color.GRAY, 1, true);
            c.text(x0 + LEFT + plotW - 4, y - 4, "original", 10, 1, Color.GRAY);
        }
        int i = 0;
        for (Map.Entry<String, List<Point>> s : panel.series().entrySet()) {
            Color color = PALETTE[i % PALETTE.length];
            List<Point> pts = new ArrayList<>(s.getValue());
            pts.sort((a, b) -> Double.compare(a.rate(), b.rate()));
            for (int j = 0; j < pts.size(); j++) {
                double x = px.applyAsDouble(pts.get(j).rate());
                double y = py.applyAsDouble(pts.get(j).error());
                c.circle(x, y, pts.size() == 1 ? 5 : 3.5, color);
                if (j > 0) {
                    c.line(px.applyAsDouble(pts.get(j - 1).rate()), py.applyAsDouble(pts.get(j - 1).error()), x, y, color, 2, false);
                }
            }
            double ly = TOP + 14 + 18 * i;
            double lx = x0 + PANEL_W - RIGHT + 14;
            c.line(lx, ly - 4, lx + 18, ly - 4, color, 2, false);
            c.circle(lx + 9, ly - 4, 3.5, color);
            c.text(lx + 24, ly, s.getKey(), 12, -1, ink);
            i++;
        }
    }

    private static double niceCeil(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** Groups points by series name, keeping first-seen order. */
    public static Map<String, List<Point>> series(List<Map.Entry<String, Point>> points) {
        Map<String, List<Point>> out = new LinkedHashMap<>();
        for (Map.Entry<String, Point> e : points) {
            out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
        }
        return out;
    }
}
