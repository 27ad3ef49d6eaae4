package ger.sweep;

import org.w3c.dom.Document;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks on the chart files a sweep writes, shared by the sweep and CLI tests. */
public final class ChartFiles {
    private ChartFiles() {
    }

    /** The PNG decodes and draws something: more than a handful of distinct colours. Returns it. */
    public static BufferedImage assertPngDrawn(Path png) throws Exception {
        assertTrue(Files.isRegularFile(png), png + " missing");
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, png + " does not decode as an image");
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertTrue(colours.size() > 4, png + " looks blank: " + colours.size() + " colours");
        return image;
    }

    /** The SVG parses as XML (no external entities) with an svg root. Returns the document. */
    public static Document assertSvgParses(Path svg) throws Exception {
        assertTrue(Files.isRegularFile(svg), svg + " missing");
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", doc.getDocumentElement().getLocalName(), svg.toString());
        return doc;
    }
}
