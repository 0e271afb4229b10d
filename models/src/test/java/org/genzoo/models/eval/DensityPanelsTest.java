package org.genzoo.models.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Density and energy pictures: each panel titled, with axes and numbers, pixels where the layout says. */
class DensityPanelsTest {
    static final int G = 7;

    static int dark(BufferedImage img, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                if ((img.getRGB(x, y) & 0xff) < 100) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void panelsHaveTitlesAxesAndTheirPixels() {
        float[] px = new float[2 * G * G];
        for (int i = 0; i < G * G; i++) {
            px[i] = 1f;            // first panel white
            px[G * G + i] = 0.5f;  // second mid grey
        }
        BufferedImage img = DensityPanels.render(px, G, 4.5, List.of("model density p(x)", "samples"), "flow, step 10", "x1", "x2");
        int side = G * DensityPanels.SCALE;
        assertEquals(DensityPanels.LEFT + 2 * side + DensityPanels.GAP + 24, img.getWidth());
        assertEquals(DensityPanels.TOP + side + DensityPanels.BOTTOM, img.getHeight());
        for (int p = 0; p < 2; p++) {
            int x0 = DensityPanels.LEFT + p * (side + DensityPanels.GAP);
            int grey = img.getRGB(x0 + side / 2, DensityPanels.TOP + side / 2) & 0xff;
            assertEquals(p == 0 ? 255 : 128, grey, "panel " + p + " pixels");
            assertTrue(dark(img, x0, DensityPanels.TOP - 26, x0 + side, DensityPanels.TOP - 4) > 0, "panel " + p + " has a title");
            assertTrue(dark(img, x0 - 40, DensityPanels.TOP, x0 - 2, DensityPanels.TOP + side) > 0, "panel " + p + " has y numbers");
            assertTrue(dark(img, x0, DensityPanels.TOP + side + 2, x0 + side, img.getHeight()) > 0, "panel " + p + " has x numbers");
        }
        assertThrows(IllegalArgumentException.class, () -> DensityPanels.render(new float[3], G, 4.5, List.of("a"), "t", "x", "y"));
    }
}
