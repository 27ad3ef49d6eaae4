package ger.sweep;

import ger.GerException;
import ger.io.AtomicFiles;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rate-distortion charts: panels side by side, each with a log-scale x axis (compression rate) and,
 * stacked, two plots of the same points: the error on a linear axis, and, when the panel has a
 * baseline (the original model's error), the error above the baseline on a log axis, where the
 * methods' differences at high rates can be read. Any number of series, each keyed by its label:
 * a label's colour is its family's (the text before " (", so "ger (budget)" is coloured as "ger")
 * and every series has its own marker and dash, so that curves drawn over one another stay visible.
 * A point at rate 1 or below is the uncompressed layer: it is left out, and the legend says which
 * series it left out. Written as PNG and SVG from the same drawing code.
 */
public final class Chart {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0x17becf)};
    /** Dash patterns in px: solid, dashed, dotted, dash-dot. */
    private static final float[][] DASHES = {null, {7f, 4f}, {2f, 3f}, {9f, 3f, 2f, 3f}};
    private static final Color INK = Color.BLACK;
    private static final Color GRID = new Color(0xdddddd);
    private static final Color MUTED = new Color(0x707070);

    private static final int PANEL_W = 560;
    private static final int LEFT = 66;
    private static final int LEGEND_W = 150;
    private static final int TOP = 44;
    private static final int ERROR_H = 240;
    /** Between the two plots: the first one's tick labels and the second one's title. */
    private static final int GAP = 56;
    private static final int EXCESS_H = 220;
    /** Below the excess plot's log range: the strip for points at or below the baseline. */
    private static final int STRIP = 26;
    private static final int BOTTOM = 52;
    private static final double MARKER_R = 4.5;
    private static final Canvas.Ink BASELINE = Canvas.Ink.line(MUTED, 1.2, new float[] {2f, 2f});

    /** One point of a curve. */
    public record Point(double rate, double error) {
    }

    /** A titled panel: series label -> points (drawn in rate order); baseline: the original's error, or null. */
    public record Panel(String title, Map<String, List<Point>> series, Double baseline) {
    }

    /** The marker shapes, each an outline centred on (x, y) of about radius r. */
    enum Marker {
        CIRCLE, SQUARE, TRIANGLE, DIAMOND, TRIANGLE_DOWN, CROSS;

        Shape at(double x, double y, double r) {
            return switch (this) {
                case CIRCLE -> new Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r);
                case SQUARE -> polygon(x, y, 0.9 * r, -1, 1, 1, 1, 1, -1, -1, -1);
                case TRIANGLE -> polygon(x, y, 1.2 * r, 0, -1.05, 0.95, 0.6, -0.95, 0.6);
                case TRIANGLE_DOWN -> polygon(x, y, 1.2 * r, 0, 1.05, 0.95, -0.6, -0.95, -0.6);
                case DIAMOND -> polygon(x, y, 1.25 * r, 0, -1, 0.8, 0, 0, 1, -0.8, 0);
                case CROSS -> polygon(x, y, 1.1 * r, -0.35, -1, 0.35, -1, 0.35, -0.35, 1, -0.35, 1, 0.35, 0.35, 0.35,
                        0.35, 1, -0.35, 1, -0.35, 0.35, -1, 0.35, -1, -0.35, -0.35, -0.35);
            };
        }

        String svgName() {
            return name().toLowerCase().replace('_', '-');
        }

        private static Shape polygon(double x, double y, double scale, double... xy) {
            Path2D.Double p = new Path2D.Double();
            p.moveTo(x + scale * xy[0], y + scale * xy[1]);
            for (int i = 2; i < xy.length; i += 2) {
                p.lineTo(x + scale * xy[i], y + scale * xy[i + 1]);
            }
            p.closePath();
            return p;
        }
    }

    /** How one series is drawn: filled markers mark a family's later members. */
    record Style(Color color, Marker marker, boolean filled, float[] dash) {
        Canvas.Ink markerInk() {
            return new Canvas.Ink(color, 1.6, null, filled ? color : Color.WHITE);
        }
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
        Map<String, Style> styles = styles(panels.stream().flatMap(p -> p.series().keySet().stream()).toList());
        boolean excess = panels.stream().anyMatch(p -> p.baseline() != null);
        // One rate range for every panel, so that panels side by side compare.
        double[] rates = panels.stream().flatMap(p -> p.series().values().stream()).flatMap(List::stream)
                .filter(Chart::drawn).mapToDouble(Point::rate).toArray();
        double minRate = rates.length == 0 ? 1 : java.util.Arrays.stream(rates).min().getAsDouble();
        double maxRate = rates.length == 0 ? 10 : java.util.Arrays.stream(rates).max().getAsDouble();
        int width = PANEL_W * Math.max(1, panels.size());
        int height = TOP + ERROR_H + (excess ? GAP + EXCESS_H + STRIP : 0) + BOTTOM;
        Canvas.Svg svg = new Canvas.Svg(width, height);
        Canvas.Png png = new Canvas.Png(width, height);
        for (int i = 0; i < panels.size(); i++) {
            for (Canvas c : List.of(svg, png)) {
                new PanelDrawing(c, panels.get(i), styles, i * PANEL_W, excess, minRate, maxRate).draw();
            }
        }
        AtomicFiles.write(dir.resolve(base + ".svg"), t -> Files.writeString(t, svg.document(), StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve(base + ".png"), t -> {
            if (!ImageIO.write(png.image, "png", t.toFile())) {
                throw new GerException("no PNG writer in this Java runtime");
            }
        });
    }

    /**
     * Every label's style. Families are numbered in first-seen order and family f gets colour f,
     * marker f and dash f; its member m (0 for the family's own name, then 1, 2, ... for "ger (budget)"...)
     * keeps the marker, filled, in a darker shade, with dash f + m. So a method looks the same
     * whatever variants are drawn beside it, and no two series of up to six families of up to four
     * members share colour, marker and dash.
     */
    static Map<String, Style> styles(List<String> labels) {
        Map<String, Style> styles = new LinkedHashMap<>();
        Map<String, Integer> families = new LinkedHashMap<>();
        Map<String, Integer> members = new LinkedHashMap<>();
        for (String label : labels) {
            if (styles.containsKey(label)) {
                continue;
            }
            String family = family(label);
            int f = families.computeIfAbsent(family, k -> families.size());
            int member = label.equals(family) ? 0 : members.merge(family, 1, Integer::sum);
            Color color = PALETTE[f % PALETTE.length];
            for (int i = 0; i < member; i++) {
                color = color.darker();
            }
            Marker[] markers = Marker.values();
            styles.put(label, new Style(color, markers[f % markers.length], member > 0, DASHES[(f + member) % DASHES.length]));
        }
        return styles;
    }

    /** "ger (budget)" -> "ger". */
    static String family(String label) {
        int paren = label.indexOf(" (");
        return paren < 0 ? label : label.substring(0, paren);
    }

    /** A point of the panel that carries information: compressed (rate above 1). */
    private static boolean drawn(Point p) {
        return p.rate() > 1;
    }

    /** One panel at x0: the error plot, the excess plot (if the chart has one), the legend. */
    private final class PanelDrawing {
        private final Canvas c;
        private final Panel panel;
        private final Map<String, Style> styles;
        private final double x0;
        private final boolean excessRow;
        private final double plotLeft;
        private final double plotW = PANEL_W - LEFT - LEGEND_W;
        /** Each series' drawn points in rate order; series with none are left out. */
        private final Map<String, List<Point>> shown = new LinkedHashMap<>();
        private final List<String> undrawn = new ArrayList<>();
        private final Axis x;

        PanelDrawing(Canvas c, Panel panel, Map<String, Style> styles, double x0, boolean excessRow,
                     double minRate, double maxRate) {
            this.c = c;
            this.panel = panel;
            this.styles = styles;
            this.x0 = x0;
            this.excessRow = excessRow;
            this.plotLeft = x0 + LEFT;
            for (Map.Entry<String, List<Point>> s : panel.series().entrySet()) {
                List<Point> pts = s.getValue().stream().filter(Chart::drawn)
                        .sorted(Comparator.comparingDouble(Point::rate)).toList();
                if (pts.size() < s.getValue().size()) {
                    undrawn.add(s.getKey());
                }
                if (!pts.isEmpty()) {
                    shown.put(s.getKey(), pts);
                }
            }
            this.x = Axis.logPadded(minRate, maxRate, plotLeft, plotLeft + plotW);
        }

        void draw() {
            c.group("panel", "title", panel.title());
            c.text(plotLeft + plotW / 2, 22, panel.title(), 14, 0, INK);
            double errorTop = TOP;
            double errorBottom = TOP + ERROR_H;
            double lo = Double.MAX_VALUE;
            double hi = 0;
            for (List<Point> pts : shown.values()) {
                for (Point p : pts) {
                    lo = Math.min(lo, p.error());
                    hi = Math.max(hi, p.error());
                }
            }
            if (panel.baseline() != null) {
                lo = Math.min(lo, panel.baseline());
                hi = Math.max(hi, panel.baseline());
            }
            Axis y = Axis.linearNice(lo > hi ? 0 : lo, lo > hi ? 1 : hi, errorBottom, errorTop);
            plot("error", y, errorTop, errorBottom, p -> y.at(p.error()), yLabel, false);
            if (panel.baseline() != null) {
                double b = y.at(panel.baseline());
                c.group("baseline");
                c.draw(new Line2D.Double(plotLeft, b, plotLeft + plotW, b), BASELINE);
                c.end();
            }
            if (panel.baseline() != null && excessRow) {
                drawExcess(errorBottom + GAP);
            }
            legend();
            c.end();
        }

        /**
         * The error above the baseline, log scale, over [top, top + EXCESS_H]; points at or below the
         * baseline sit on a strip beneath the log range, labelled with the sign for "at most 0" when there are any.
         */
        private void drawExcess(double top) {
            double base = panel.baseline();
            double lo = Double.MAX_VALUE;
            double hi = 0;
            for (List<Point> pts : shown.values()) {
                for (Point p : pts) {
                    double e = p.error() - base;
                    if (e > 0) {
                        lo = Math.min(lo, e);
                        hi = Math.max(hi, e);
                    }
                }
            }
            double bottom = top + EXCESS_H;
            double strip = bottom + STRIP * 0.65;
            Axis y = Axis.logDecades(hi > 0 ? lo : 0.01, hi > 0 ? hi : 0.1, bottom, top);
            plot("excess", y, top, bottom + STRIP, p -> p.error() > base ? y.at(p.error() - base) : strip,
                    yLabel + " above the original's (log scale)", true);
            if (shown.values().stream().flatMap(List::stream).anyMatch(p -> p.error() <= base)) {
                c.draw(new Line2D.Double(plotLeft, bottom + 4, plotLeft + plotW, bottom + 4), Canvas.Ink.line(GRID, 1, new float[] {3f, 3f}));
                c.text(plotLeft - 6, strip + 4, "\u2264 0", 11, 1, INK);
            }
        }

        /** Grid, ticks, frame, axis titles and every series for one plot; where maps a point to its y. */
        private void plot(String kind, Axis y, double top, double bottom, java.util.function.ToDoubleFunction<Point> where,
                          String title, boolean xTitle) {
            c.group("plot", "kind", kind);
            for (Axis.Tick t : x.ticks()) {
                c.draw(new Line2D.Double(t.at(), top, t.at(), bottom), Canvas.Ink.line(GRID, t.label() == null ? 0.5 : 1, null));
                if (t.label() != null) {
                    c.text(t.at(), bottom + 15, t.label() + "x", 11, 0, INK);
                }
            }
            for (Axis.Tick t : y.ticks()) {
                c.draw(new Line2D.Double(plotLeft, t.at(), plotLeft + plotW, t.at()), Canvas.Ink.line(GRID, t.label() == null ? 0.5 : 1, null));
                if (t.label() != null) {
                    c.text(plotLeft - 6, t.at() + 4, t.label(), 11, 1, INK);
                }
            }
            Path2D.Double frame = new Path2D.Double();
            frame.moveTo(plotLeft, top);
            frame.lineTo(plotLeft, bottom);
            frame.lineTo(plotLeft + plotW, bottom);
            c.draw(frame, Canvas.Ink.line(INK, 1, null));
            c.text(x0 + 12, top - 10, title, 12, -1, INK);
            if (xTitle || !excessRow) {
                c.text(plotLeft + plotW / 2, bottom + 34, xLabel, 12, 0, INK);
            }
            for (Map.Entry<String, List<Point>> s : shown.entrySet()) {
                series(s.getKey(), s.getValue(), where);
            }
            c.end();
        }

        /** A series: its line (if two points or more), then a hollow marker on each point. */
        private void series(String label, List<Point> pts, java.util.function.ToDoubleFunction<Point> where) {
            Style st = styles.get(label);
            c.group("series", "label", label, "marker", (st.filled() ? "filled " : "") + st.marker().svgName(),
                    "dash", Canvas.Svg.dashes(st.dash()));
            if (pts.size() > 1) {
                Path2D.Double line = new Path2D.Double();
                line.moveTo(x.at(pts.getFirst().rate()), where.applyAsDouble(pts.getFirst()));
                for (Point p : pts.subList(1, pts.size())) {
                    line.lineTo(x.at(p.rate()), where.applyAsDouble(p));
                }
                c.draw(line, Canvas.Ink.line(st.color(), 1.8, st.dash()));
            }
            double r = pts.size() == 1 ? 1.4 * MARKER_R : MARKER_R;
            c.group("markers");
            for (Point p : pts) {
                c.draw(st.marker().at(x.at(p.rate()), where.applyAsDouble(p), r), st.markerInk());
            }
            c.end();
            c.end();
        }

        /** One entry per drawn series (a line sample unless it is a single point, and its marker); then what was left out. */
        private void legend() {
            double lx = x0 + PANEL_W - LEGEND_W + 14;
            double ly = TOP + 10;
            c.group("legend");
            for (Map.Entry<String, List<Point>> s : shown.entrySet()) {
                Style st = styles.get(s.getKey());
                c.group("entry", "label", s.getKey());
                if (s.getValue().size() > 1) {
                    c.draw(new Line2D.Double(lx, ly, lx + 26, ly), Canvas.Ink.line(st.color(), 1.8, st.dash()));
                }
                c.draw(st.marker().at(lx + 13, ly, MARKER_R), st.markerInk());
                c.text(lx + 32, ly + 4, s.getKey(), 12, -1, INK);
                c.end();
                ly += 19;
            }
            if (panel.baseline() != null) {
                c.group("entry", "label", "original");
                c.draw(new Line2D.Double(lx, ly, lx + 26, ly), BASELINE);
                c.text(lx + 32, ly + 4, "original", 12, -1, MUTED);
                c.end();
                ly += 19;
            }
            if (!undrawn.isEmpty()) {
                ly += 8;
                for (String line : wrap("points at 1x (left uncompressed) not drawn: " + String.join(", ", undrawn), 22)) {
                    c.text(lx, ly, line, 10, -1, MUTED);
                    ly += 13;
                }
            }
            c.end();
        }
    }

    /** Words of text in lines of at most width characters. */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (!line.isEmpty() && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.isEmpty() ? "" : " ").append(word);
        }
        if (!line.isEmpty()) {
            lines.add(line.toString());
        }
        return lines;
    }

    /**
     * A linear or log axis from value lo..hi to pixel from..to, with its ticks: labelled ones at
     * 1, 2, 5 x 10^k, and unlabelled grid lines between.
     */
    record Axis(double lo, double hi, boolean log, double from, double to, List<Tick> ticks) {
        /** A grid line at pixel at; label null for a minor one. */
        record Tick(double at, String label) {
        }

        double at(double v) {
            double t = log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
            return from + (to - from) * t;
        }

        /**
         * A log axis over lo..hi padded by 1.5% of its span (at least 0.4 decade in all) and widened to
         * the next 1, 2 or 5 x 10^k on each side, so that both ends are labelled; ticks at 1, 2, 5 x 10^k.
         */
        static Axis logPadded(double lo, double hi, double from, double to) {
            double a = Math.log10(lo);
            double b = Math.log10(hi);
            double pad = Math.max(0.015 * (b - a), (0.4 - (b - a)) / 2);
            return logTicks(oneTwoFive(a - pad, false), oneTwoFive(b + pad, true), from, to, true);
        }

        /** The 1, 2 or 5 x 10^k just below (or above, if up) 10^exponent. */
        private static double oneTwoFive(double exponent, boolean up) {
            double decade = Math.floor(exponent);
            double[] steps = {1, 2, 5, 10};
            double mantissa = Math.pow(10, exponent - decade);
            double pick = up ? 10 : 1;
            for (double m : steps) {
                if (up && m >= mantissa * (1 - 1e-9)) {
                    pick = m;
                    break;
                }
                if (!up && m <= mantissa * (1 + 1e-9)) {
                    pick = m;
                }
            }
            return pick * Math.pow(10, decade);
        }

        /** A log axis over whole decades around lo..hi (at least one); 2 and 5 labelled too when it spans two or fewer. */
        static Axis logDecades(double lo, double hi, double from, double to) {
            double a = Math.floor(Math.log10(lo) + 1e-9);
            double b = Math.max(a + 1, Math.ceil(Math.log10(hi) - 1e-9));
            return logTicks(Math.pow(10, a), Math.pow(10, b), from, to, b - a <= 2);
        }

        private static Axis logTicks(double lo, double hi, double from, double to, boolean twoAndFive) {
            List<Tick> ticks = new ArrayList<>();
            Axis frame = new Axis(lo, hi, true, from, to, ticks);
            for (int d = (int) Math.floor(Math.log10(lo)); d <= (int) Math.ceil(Math.log10(hi)); d++) {
                for (int m = 1; m < 10; m++) {
                    BigDecimal v = BigDecimal.valueOf(m).scaleByPowerOfTen(d);
                    double value = v.doubleValue();
                    if (value >= lo * (1 - 1e-9) && value <= hi * (1 + 1e-9)) {
                        boolean major = m == 1 || (twoAndFive && (m == 2 || m == 5));
                        ticks.add(new Tick(frame.at(value), major ? v.stripTrailingZeros().toPlainString() : null));
                    }
                }
            }
            return frame;
        }

        /** A linear axis over lo..hi widened to multiples of a 1, 2 or 5 x 10^k step, 3 to 7 labelled ticks. */
        static Axis linearNice(double lo, double hi, double from, double to) {
            double span = hi - lo > 0 ? hi - lo : Math.max(Math.abs(hi), 1e-3);
            int exponent = (int) Math.floor(Math.log10(span / 5));
            BigDecimal step = BigDecimal.ONE.scaleByPowerOfTen(exponent);
            for (int m : new int[] {1, 2, 5, 10}) {
                step = BigDecimal.valueOf(m).scaleByPowerOfTen(exponent);
                if (span / step.doubleValue() <= 6) {
                    break;
                }
            }
            double s = step.doubleValue();
            long first = (long) Math.floor(lo / s + 1e-9);
            long last = Math.max(first + 1, (long) Math.ceil(hi / s - 1e-9));
            List<Tick> ticks = new ArrayList<>();
            Axis frame = new Axis(first * s, last * s, false, from, to, ticks);
            for (long i = first; i <= last; i++) {
                BigDecimal v = step.multiply(BigDecimal.valueOf(i));
                ticks.add(new Tick(frame.at(v.doubleValue()), v.stripTrailingZeros().toPlainString()));
            }
            return frame;
        }
    }

    /** Groups points by series label, keeping first-seen order. */
    public static Map<String, List<Point>> series(List<Map.Entry<String, Point>> points) {
        Map<String, List<Point>> out = new LinkedHashMap<>();
        for (Map.Entry<String, Point> e : points) {
            out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
        }
        return out;
    }
}
