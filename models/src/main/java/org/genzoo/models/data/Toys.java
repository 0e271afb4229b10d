package org.genzoo.models.data;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The 2-D toy densities with the definitions of FFJORD's toy data (Grathwohl et al. 2019), as
 * {@code "toy:<name>"} data sets with fixed seeded splits: train 50,000, validation 10,000, test
 * 10,000 points, each split drawn from its own seed ({@link #SEED} + 3·toy index + split index), so
 * the test points are fresh samples of the generator, independent of the training points.
 *
 * <ul>
 * <li>8gaussians: 8 equal Gaussians, means 4·(cos kπ/4, sin kπ/4)/1.414, std 0.5/1.414.</li>
 * <li>moons: two half circles (outer (cos t, sin t), inner (1 − cos t, 0.5 − sin t), t in [0, π]),
 *     noise std 0.1, then ·2 + (−1, −0.2).</li>
 * <li>circles: circles of radius 1 and 0.5, half the points each, noise std 0.08, then ·3.</li>
 * <li>rings: four circles of radius 3, 2.25, 1.5, 0.75, a quarter of the points each, noise std 0.08.</li>
 * <li>swissroll: t = 1.5π(1 + 2u), (t cos t, t sin t) + N(0, I), then /5.</li>
 * <li>pinwheel: 5 arms; f ~ N((1, 0), diag(0.3², 0.1²)), rotated by 2πk/5 + 0.25·exp(f_0), then ·2.</li>
 * <li>2spirals: n = 3π·sqrt(u), (−n cos n, n sin n) + U[0, 0.5]², mirrored for the second arm,
 *     /3, + N(0, 0.1² I).</li>
 * <li>checkerboard: uniform on the 8 dark squares of side 2 of a 4 x 4 board on [−4, 4]².</li>
 * <li>ring8: the GAN mode-collapse benchmark (Srivastava et al. 2017, Lin et al. 2018): 8 equal
 *     Gaussians, means 2·(cos 2πk/8, sin 2πk/8), std {@link #RING8_STD}.</li>
 * <li>grid25: 25 equal Gaussians, means (2i, 2j) for i, j in −2..2, std {@link #GRID25_STD}.</li>
 * </ul>
 * {@link #modeMeans} and {@link #modeStd} give the modes of ring8 and grid25 for the mode-coverage
 * metrics.
 * Where FFJORD (through scikit-learn) places points at evenly spaced angles (moons, circles,
 * rings), this generator draws the angle uniformly: the same density, without the lattice.
 */
public final class Toys {
    public static final String PREFIX = "toy:";
    public static final List<String> NAMES = List.of("8gaussians", "moons", "circles", "rings", "swissroll", "pinwheel",
            "2spirals", "checkerboard", "ring8", "grid25");
    /** Standard deviation of each ring8 component. */
    public static final double RING8_STD = 0.02;
    /** Standard deviation of each grid25 component. */
    public static final double GRID25_STD = 0.05;
    public static final int TRAIN = 50_000;
    public static final int VALIDATION = 10_000;
    public static final int TEST = 10_000;
    public static final long SEED = 20_190_101L;

    private Toys() {
    }

    public static boolean isToy(String dataset) {
        return dataset.startsWith(PREFIX) && NAMES.contains(dataset.substring(PREFIX.length()));
    }

    /** The fixed splits of {@code "toy:<name>"}. */
    public static DatasetSplits load(String dataset) {
        String name = dataset.startsWith(PREFIX) ? dataset.substring(PREFIX.length()) : dataset;
        int k = NAMES.indexOf(name);
        if (k < 0) {
            throw new IllegalArgumentException("unknown toy '" + name + "': expected one of " + String.join(", ", NAMES));
        }
        long base = SEED + 3L * k;
        Dataset train = new Dataset(PREFIX + name + "/train", 1, 2, sample(name, TRAIN, new SplittableRandom(base)), null);
        Dataset val = new Dataset(PREFIX + name + "/validation", 1, 2, sample(name, VALIDATION, new SplittableRandom(base + 1)), null);
        Dataset test = new Dataset(PREFIX + name + "/test", 1, 2, sample(name, TEST, new SplittableRandom(base + 2)), null);
        String src = "generated (FFJORD toy definitions), seeds " + base + ".." + (base + 2);
        return new DatasetSplits(PREFIX + name, src, new DatasetSplits.Part(Split.TRAIN, train, "seed " + base + ", " + TRAIN + " points"),
                new DatasetSplits.Part(Split.VALIDATION, val, "seed " + (base + 1) + ", " + VALIDATION + " points"),
                new DatasetSplits.Part(Split.TEST, test, "seed " + (base + 2) + ", " + TEST + " points"));
    }

    /** True for the toys made of equal isotropic Gaussian modes (ring8, grid25). */
    public static boolean hasModes(String name) {
        String n = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
        return n.equals("ring8") || n.equals("grid25");
    }

    /** The K mode means of ring8 or grid25 as K x 2. */
    public static double[][] modeMeans(String name) {
        String n = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
        switch (n) {
            case "ring8": {
                double[][] m = new double[8][];
                for (int k = 0; k < 8; k++) {
                    m[k] = new double[] {2 * Math.cos(2 * Math.PI * k / 8), 2 * Math.sin(2 * Math.PI * k / 8)};
                }
                return m;
            }
            case "grid25": {
                double[][] m = new double[25][];
                for (int i = 0; i < 5; i++) {
                    for (int j = 0; j < 5; j++) {
                        m[5 * i + j] = new double[] {2.0 * (i - 2), 2.0 * (j - 2)};
                    }
                }
                return m;
            }
            default:
                throw new IllegalArgumentException("toy '" + n + "' has no discrete modes: use ring8 or grid25");
        }
    }

    /** The standard deviation of every mode of ring8 or grid25. */
    public static double modeStd(String name) {
        String n = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
        switch (n) {
            case "ring8":
                return RING8_STD;
            case "grid25":
                return GRID25_STD;
            default:
                throw new IllegalArgumentException("toy '" + n + "' has no discrete modes: use ring8 or grid25");
        }
    }

    /** n points of a toy, row-major n x 2, in float. */
    public static float[] sample(String name, int n, SplittableRandom rng) {
        double[] d = sampleDouble(name, n, rng);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** n points of a toy, row-major n x 2, in double. */
    public static double[] sampleDouble(String name, int n, SplittableRandom rng) {
        double[] out = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double x;
            double y;
            switch (name) {
                case "8gaussians": {
                    int c = rng.nextInt(8);
                    // FFJORD: point = 0.5·N(0, I) + 4·center (unit-norm centers), then / 1.414.
                    x = (0.5 * rng.nextGaussian() + 4 * Math.cos(c * Math.PI / 4)) / 1.414;
                    y = (0.5 * rng.nextGaussian() + 4 * Math.sin(c * Math.PI / 4)) / 1.414;
                    break;
                }
                case "moons": {
                    double t = Math.PI * rng.nextDouble();
                    boolean outer = rng.nextBoolean();
                    double mx = outer ? Math.cos(t) : 1 - Math.cos(t);
                    double my = outer ? Math.sin(t) : 0.5 - Math.sin(t);
                    x = 2 * (mx + 0.1 * rng.nextGaussian()) - 1;
                    y = 2 * (my + 0.1 * rng.nextGaussian()) - 0.2;
                    break;
                }
                case "circles": {
                    double r = rng.nextBoolean() ? 1 : 0.5;
                    double t = 2 * Math.PI * rng.nextDouble();
                    x = 3 * (r * Math.cos(t) + 0.08 * rng.nextGaussian());
                    y = 3 * (r * Math.sin(t) + 0.08 * rng.nextGaussian());
                    break;
                }
                case "rings": {
                    double r = 3 * (1 - 0.25 * rng.nextInt(4));
                    double t = 2 * Math.PI * rng.nextDouble();
                    x = r * Math.cos(t) + 0.08 * rng.nextGaussian();
                    y = r * Math.sin(t) + 0.08 * rng.nextGaussian();
                    break;
                }
                case "swissroll": {
                    double t = 1.5 * Math.PI * (1 + 2 * rng.nextDouble());
                    x = (t * Math.cos(t) + rng.nextGaussian()) / 5;
                    y = (t * Math.sin(t) + rng.nextGaussian()) / 5;
                    break;
                }
                case "pinwheel": {
                    int k = rng.nextInt(5);
                    double f0 = 1 + 0.3 * rng.nextGaussian();
                    double f1 = 0.1 * rng.nextGaussian();
                    double a = 2 * Math.PI * k / 5 + 0.25 * Math.exp(f0);
                    // FFJORD: x_j = Σ_i f_i R_ij with R = [[cos a, −sin a], [sin a, cos a]].
                    x = 2 * (f0 * Math.cos(a) + f1 * Math.sin(a));
                    y = 2 * (-f0 * Math.sin(a) + f1 * Math.cos(a));
                    break;
                }
                case "2spirals": {
                    double m = Math.sqrt(rng.nextDouble()) * 3 * Math.PI;
                    double sx = -Math.cos(m) * m + 0.5 * rng.nextDouble();
                    double sy = Math.sin(m) * m + 0.5 * rng.nextDouble();
                    double sign = rng.nextBoolean() ? 1 : -1;
                    x = sign * sx / 3 + 0.1 * rng.nextGaussian();
                    y = sign * sy / 3 + 0.1 * rng.nextGaussian();
                    break;
                }
                case "checkerboard": {
                    double x1 = 4 * rng.nextDouble() - 2;
                    double x2 = rng.nextDouble() - 2 * rng.nextInt(2) + Math.floorMod((int) Math.floor(x1), 2);
                    x = 2 * x1;
                    y = 2 * x2;
                    break;
                }
                case "ring8": {
                    int c = rng.nextInt(8);
                    x = 2 * Math.cos(2 * Math.PI * c / 8) + RING8_STD * rng.nextGaussian();
                    y = 2 * Math.sin(2 * Math.PI * c / 8) + RING8_STD * rng.nextGaussian();
                    break;
                }
                case "grid25": {
                    int c = rng.nextInt(25);
                    x = 2.0 * (c / 5 - 2) + GRID25_STD * rng.nextGaussian();
                    y = 2.0 * (c % 5 - 2) + GRID25_STD * rng.nextGaussian();
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown toy '" + name + "': expected one of " + String.join(", ", NAMES));
            }
            out[2 * i] = x;
            out[2 * i + 1] = y;
        }
        return out;
    }
}
