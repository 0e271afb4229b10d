package org.genzoo.models.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.genzoo.host.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sample grids, reconstructions and interpolations written as PNG and read back. */
class PicturesTest extends OnTrainedVae {
    static final int H = EvalFixtures.H;
    static final int W = EvalFixtures.W;
    /** One grey level of PNG quantization. */
    static final int GREY_TOL = 1;

    @TempDir
    Path dir;

    @Test
    void sampleGridHasTheRightSizeAndIsRepeatable() throws IOException {
        ImageGrid.Style s = new ImageGrid.Style(2, 3, 0.5f);
        Path f = dir.resolve("samples.png");
        ImageGrid.writePng(Pictures.samples(vae, 5, H, W, 1, s), f);
        BufferedImage img = ImageIO.read(f.toFile());
        assertEquals(5 * W * 3 + 6 * 2, img.getWidth());
        assertEquals(5 * H * 3 + 6 * 2, img.getHeight());
        assertEquals(ImageGrid.width(5, W, s), img.getWidth());
        assertEquals(128, img.getRaster().getSample(0, 0, 0), "padding is the background grey");
        BufferedImage again = Pictures.samples(vae, 5, H, W, 1, s);
        assertArrayEquals(pixels(img), pixels(again), "same seed, same samples");
        assertTrue(Files.list(dir).allMatch(p -> p.getFileName().toString().equals("samples.png")), "no temporary file left behind");
    }

    @Test
    void reconstructionsComeInPairsOfRows() throws IOException {
        ImageGrid.Style s = new ImageGrid.Style(1, 2, 1f);
        Tensor x = data.rows(0, 10);
        Path f = dir.resolve("sub/recon.png");
        ImageGrid.writePng(Pictures.reconstructions(vae, x, 5, H, W, s), f);
        BufferedImage img = ImageIO.read(f.toFile());
        assertEquals(ImageGrid.width(5, W, s), img.getWidth());
        assertEquals(4 * H * 2 + 5, img.getHeight(), "2 pairs of rows of 5");
        float[] orig = x.toArray();
        float[] rec;
        try (Tensor r = vae.reconstruct(x)) {
            rec = r.toArray();
        }
        // image 7 = row 1, column 2 of the originals (grid row 2) and of the reconstructions (grid row 3)
        assertPixel(img, s, 2, 2, 0, 0, orig[7 * H * W]);
        assertPixel(img, s, 3, 2, 3, 4, rec[7 * H * W + 3 * W + 4]);
    }

    @Test
    void interpolationsStartAndEndAtTheReconstructions() throws IOException {
        ImageGrid.Style s = ImageGrid.Style.standard();
        Tensor from = data.rows(0, 3);
        Tensor to = data.rows(3, 6);
        Path f = dir.resolve("interp.png");
        ImageGrid.writePng(Pictures.interpolations(vae, from, to, 7, H, W, s), f);
        BufferedImage img = ImageIO.read(f.toFile());
        assertEquals(7 * W * 2 + 8 * 2, img.getWidth());
        assertEquals(3 * H * 2 + 4 * 2, img.getHeight());
        float[] ra;
        float[] rb;
        try (Tensor a = vae.reconstruct(from); Tensor b = vae.reconstruct(to)) {
            ra = a.toArray();
            rb = b.toArray();
        }
        for (int p = 0; p < 3; p++) {
            for (int i = 0; i < H * W; i += 5) {
                assertPixel(img, s, p, 0, i / W, i % W, ra[p * H * W + i]);
                assertPixel(img, s, p, 6, i / W, i % W, rb[p * H * W + i]);
            }
        }
    }

    @Test
    void renderClipsAndRefusesShortInput() {
        ImageGrid.Style s = new ImageGrid.Style(0, 1, 0f);
        BufferedImage img = ImageGrid.render(new float[] {-1f, 0.5f, 2f, Float.NaN}, 1, 2, 2, 1, s);
        assertArrayEquals(new int[] {0, 128, 255, 0}, img.getRaster().getPixels(0, 0, 2, 2, (int[]) null));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.render(new float[3], 1, 2, 2, 1, s));
        assertThrows(IllegalArgumentException.class, () -> Pictures.samples(vae, 2, 7, 7, 0, s));
    }

    /** Grid cell (row, col), image pixel (r, c): the top-left output pixel of its scaled square. */
    private static void assertPixel(BufferedImage img, ImageGrid.Style s, int row, int col, int r, int c, float want) {
        int x = s.padding() + col * (W * s.scale() + s.padding()) + c * s.scale();
        int y = s.padding() + row * (H * s.scale() + s.padding()) + r * s.scale();
        int got = img.getRaster().getSample(x, y, 0);
        assertEquals(ImageGrid.toByte(want), got, GREY_TOL, "cell (" + row + ", " + col + ") pixel (" + r + ", " + c + ")");
    }

    private static int[] pixels(BufferedImage img) {
        return img.getRaster().getPixels(0, 0, img.getWidth(), img.getHeight(), (int[]) null);
    }
}
