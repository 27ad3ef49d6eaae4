package ger.sweep;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * The few drawing operations a chart needs, so that one drawing code makes both the SVG and the
 * PNG. Coordinates in pixels, y down.
 */
interface Canvas {
    void line(double x1, double y1, double x2, double y2, Color color, double width, boolean dashed);

    void circle(double x, double y, double r, Color color);

    /** anchor: -1 left, 0 centre, 1 right. */
    void text(double x, double y, String text, int size, int anchor, Color color);

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

        @Override
        public void line(double x1, double y1, double x2, double y2, Color color, double w, boolean dashed) {
            body.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"%s/>%n",
                    x1, y1, x2, y2, rgb(color), w, dashed ? " stroke-dasharray=\"4 3\"" : ""));
        }

        @Override
        public void circle(double x, double y, double r, Color color) {
            body.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>%n", x, y, r, rgb(color)));
        }

        @Override
        public void text(double x, double y, String text, int size, int anchor, Color color) {
            String a = anchor < 0 ? "start" : anchor > 0 ? "end" : "middle";
            String escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
            body.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-family=\"sans-serif\" font-size=\"%d\" text-anchor=\"%s\" fill=\"%s\">%s</text>%n",
                    x, y, size, a, rgb(color), escaped));
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
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
        }

        @Override
        public void line(double x1, double y1, double x2, double y2, Color color, double w, boolean dashed) {
            g.setColor(color);
            g.setStroke(dashed ? new BasicStroke((float) w, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 3f}, 0f)
                    : new BasicStroke((float) w));
            g.draw(new java.awt.geom.Line2D.Double(x1, y1, x2, y2));
        }

        @Override
        public void circle(double x, double y, double r, Color color) {
            g.setColor(color);
            g.fill(new java.awt.geom.Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r));
        }

        @Override
        public void text(double x, double y, String text, int size, int anchor, Color color) {
            g.setColor(color);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, size));
            int w = g.getFontMetrics().stringWidth(text);
            double left = anchor < 0 ? x : anchor > 0 ? x - w : x - w / 2.0;
            g.drawString(text, (float) left, (float) y);
        }
    }
}
