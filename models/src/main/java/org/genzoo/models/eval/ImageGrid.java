package org.genzoo.models.eval;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/**
 * Grey images in a grid, as an 8-bit grey {@link BufferedImage} or a PNG (plain ImageIO, no display
 * needed). Each image is h x w floats in [0, 1] (0 black, 1 white; values outside are clipped, NaN
 * shows black), row-major; image i of a batch is {@code pixels[i*h*w, (i+1)*h*w)}. Images fill the
 * grid row by row; each pixel becomes a scale x scale square; {@code padding} pixels of the
 * background grey separate the cells and frame the grid:
 * <pre>
 *   width  = columns·w·scale + (columns + 1)·padding
 *   height = rows·h·scale    + (rows + 1)·padding
 * </pre>
 */
public final class ImageGrid {
    /**
     * @param padding     pixels between cells and around the grid (after scaling), >= 0
     * @param scale       each image pixel becomes scale x scale output pixels, >= 1
     * @param background  grey level of the padding in [0, 1]
     */
    public record Style(int padding, int scale, float background) {
        public Style {
            if (padding < 0 || scale < 1 || !(background >= 0f && background <= 1f)) {
                throw new IllegalArgumentException("need padding >= 0, scale >= 1, background in [0, 1]; got " + padding + ", " + scale
                        + ", " + background);
            }
        }

        /** 2 pixels of mid grey between cells, every pixel doubled. */
        public static Style standard() {
            return new Style(2, 2, 0.5f);
        }
    }

    private ImageGrid() {
    }

    /** Output width in pixels of a grid with {@code columns} cells of width {@code w}. */
    public static int width(int columns, int w, Style s) {
        return columns * w * s.scale() + (columns + 1) * s.padding();
    }

    /** Output height in pixels of a grid with {@code rows} cells of height {@code h}. */
    public static int height(int rows, int h, Style s) {
        return rows * h * s.scale() + (rows + 1) * s.padding();
    }

    /**
     * {@code count} images of h x w from {@code pixels} in a grid {@code columns} wide (rows as many as
     * needed; cells past count stay background).
     */
    public static BufferedImage render(float[] pixels, int count, int h, int w, int columns, Style s) {
        if (h < 1 || w < 1 || columns < 1 || count < 0) {
            throw new IllegalArgumentException("need h, w, columns >= 1 and count >= 0; got " + h + ", " + w + ", " + columns + ", " + count);
        }
        if (pixels.length < (long) count * h * w) {
            throw new IllegalArgumentException(count + " images of " + h + " x " + w + " need " + (long) count * h * w + " values, got "
                    + pixels.length);
        }
        int rows = Math.max(1, (count + columns - 1) / columns);
        int outW = width(columns, w, s);
        int outH = height(rows, h, s);
        BufferedImage img = new BufferedImage(outW, outH, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = img.getRaster();
        int[] line = new int[outW];
        java.util.Arrays.fill(line, toByte(s.background()));
        for (int y = 0; y < outH; y++) {
            raster.setPixels(0, y, outW, 1, line);
        }
        int sc = s.scale();
        int[] square = new int[sc * sc];
        for (int i = 0; i < count; i++) {
            int x0 = s.padding() + (i % columns) * (w * sc + s.padding());
            int y0 = s.padding() + (i / columns) * (h * sc + s.padding());
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++) {
                    java.util.Arrays.fill(square, toByte(pixels[i * h * w + r * w + c]));
                    raster.setPixels(x0 + c * sc, y0 + r * sc, sc, sc, square);
                }
            }
        }
        return img;
    }

    /** Writes {@code img} as PNG: to a temporary file beside {@code file}, then renamed over it. */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available");
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Grey level v in [0, 1] to 0..255 (clipped; NaN to 0). */
    static int toByte(float v) {
        if (!(v > 0f)) {
            return 0;
        }
        return v >= 1f ? 255 : Math.round(v * 255f);
    }
}
