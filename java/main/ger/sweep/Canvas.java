package ger.sweep;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.PathIterator;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * The few drawing operations a chart needs, so that one drawing code makes both the SVG and the
 * PNG: outlines (Java2D shapes: lines, polylines, markers), text, and named groups (SVG {@code <g>},
 * so that a series can be found and edited in the SVG). Coordinates in pixels, y down.
 */
interface Canvas {
    /**
     * How to paint a shape: its outline in stroke (width px; dash lengths in px, or null for a solid
     * line) and its inside in fill (null: not filled).
     */
    record Ink(Color stroke, double width, float[] dash, Color fill) {
        static Ink line(Color color, double width, float[] dash) {
            return new Ink(color, width, dash, null);
        }
    }

    void draw(Shape shape, Ink ink);

    /** anchor: -1 left, 0 centre, 1 right. */
    void text(double x, double y, String text, int size, int anchor, Color color);

    /** Starts a group of what follows, of kind cls, with data-NAME attributes (name, value pairs). */
    void group(String cls, String... data);

    /** Ends the innermost group. */
    void end();

    /** An SVG document. */
    final class Svg implements Canvas {
        private final StringBuilder body = new StringBuilder();
        private final int width;
        private final int height;

        Svg(int width, int height) {
            this.width = width;
            this.height = height;
        }

        private static String rgb(Color c) {
            return String.format(Locale.ROOT, "#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
        }

        private static String escaped(String text) {
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        }

        /** The dash array as SVG writes it, "7 4"; "none" for a solid line. */
        static String dashes(float[] dash) {
            if (dash == null) {
                return "none";
            }
            StringBuilder b = new StringBuilder();
            for (float d : dash) {
                b.append(b.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.1f", d));
            }
            return b.toString();
        }

        @Override
        public void draw(Shape shape, Ink ink) {
            StringBuilder d = new StringBuilder();
            double[] c = new double[6];
            String[] commands = {"M", "L", "Q", "C"};
            int[] points = {1, 1, 2, 3};
            for (PathIterator it = shape.getPathIterator(null); !it.isDone(); it.next()) {
                int type = it.currentSegment(c);
                if (type == PathIterator.SEG_CLOSE) {
                    d.append('Z');
                    continue;
                }
                d.append(commands[type]);
                for (int i = 0; i < 2 * points[type]; i++) {
                    d.append(String.format(Locale.ROOT, i == 0 ? "%.1f" : " %.1f", c[i]));
                }
            }
            body.append(String.format(Locale.ROOT, "<path d=\"%s\" stroke=\"%s\" stroke-width=\"%.1f\" fill=\"%s\"%s/>%n",
                    d, rgb(ink.stroke()), ink.width(), ink.fill() == null ? "none" : rgb(ink.fill()),
                    ink.dash() == null ? "" : " stroke-dasharray=\"" + dashes(ink.dash()) + "\""));
        }

        @Override
        public void text(double x, double y, String text, int size, int anchor, Color color) {
            String a = anchor < 0 ? "start" : anchor > 0 ? "end" : "middle";
            body.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-family=\"sans-serif\" font-size=\"%d\" text-anchor=\"%s\" fill=\"%s\">%s</text>%n",
                    x, y, size, a, rgb(color), escaped(text)));
        }

        @Override
        public void group(String cls, String... data) {
            body.append("<g class=\"").append(escaped(cls)).append('"');
            for (int i = 0; i + 1 < data.length; i += 2) {
                body.append(" data-").append(data[i]).append("=\"").append(escaped(data[i + 1])).append('"');
            }
            body.append(">\n");
        }

        @Override
        public void end() {
            body.append("</g>\n");
        }

        String document() {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + width + "\" height=\"" + height
                    + "\" viewBox=\"0 0 " + width + " " + height + "\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
                    + body + "</svg>\n";
        }
    }

    /** A raster image through Java2D (headless). */
    final class Png implements Canvas {
        final BufferedImage image;
        private final Graphics2D g;

        Png(int width, int height) {
            image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
        }

        @Override
        public void draw(Shape shape, Ink ink) {
            if (ink.fill() != null) {
                g.setColor(ink.fill());
                g.fill(shape);
            }
            g.setColor(ink.stroke());
            g.setStroke(new BasicStroke((float) ink.width(), BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, ink.dash(), 0f));
            g.draw(shape);
        }

        @Override
        public void text(double x, double y, String text, int size, int anchor, Color color) {
            g.setColor(color);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, size));
            int w = g.getFontMetrics().stringWidth(text);
            double left = anchor < 0 ? x : anchor > 0 ? x - w : x - w / 2.0;
            g.drawString(text, (float) left, (float) y);
        }

        @Override
        public void group(String cls, String... data) {
            // a raster has no groups
        }

        @Override
        public void end() {
            // a raster has no groups
        }
    }
}
