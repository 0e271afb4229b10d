package org.genzoo.models.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The differential entropy H = −E[log p(x)] (nats) of each {@link Toys} density, and the density
 * itself where it has a usable closed form or a one-dimensional integral:
 * <ul>
 * <li>8gaussians: the exact mixture density; checkerboard: uniform on 32 units of area, H = log 32.</li>
 * <li>circles, rings, moons, swissroll, 2spirals: a curve with a uniform (or, for 2spirals,
 *     √u-distributed) parameter plus independent noise, so p(x) = ∫ p(t)·p_noise(x − c(t)) dt, a
 *     smooth 1-D integral done by the midpoint rule on a fine grid (periodic circles: spectrally
 *     accurate; the others: step well below the noise scale, relative error below 1e-6).</li>
 * </ul>
 * For these H is the Monte Carlo mean of −log p over fresh samples of the generator, with its
 * standard error: unbiased, error = stderr. pinwheel has no such form (its map from the Gaussian
 * is not invertible in closed form); its H comes from the Kozachenko–Leonenko nearest-neighbour
 * estimator, which is consistent but carries a small-sample bias on top of its spread.
 */
public final class ToyEntropy {
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private ToyEntropy() {
    }

    /** An entropy estimate in nats: value, its standard error, and how it was obtained. */
    public record Estimate(double nats, double stderr, String method) {
    }

    /** True where {@link #logDensity} is available. */
    public static boolean hasDensity(String toy) {
        return !toy.equals("pinwheel");
    }

    /** log p(x, y) of a toy (not for pinwheel). */
    public static double logDensity(String toy, double x, double y) {
        switch (toy) {
            case "8gaussians": {
                double s = 0.5 / 1.414;
                double[] terms = new double[8];
                for (int k = 0; k < 8; k++) {
                    double mx = 4 * Math.cos(k * Math.PI / 4) / 1.414;
                    double my = 4 * Math.sin(k * Math.PI / 4) / 1.414;
                    terms[k] = Math.log(1.0 / 8) + gauss2(x - mx, y - my, s);
                }
                return logSumExp(terms);
            }
            case "checkerboard": {
                double x1 = x / 2;
                double x2 = y / 2;
                if (x1 < -2 || x1 >= 2 || x2 < -2 || x2 >= 2) {
                    return Double.NEGATIVE_INFINITY;
                }
                boolean dark = Math.floorMod((int) Math.floor(x1) + (int) Math.floor(x2), 2) == 0;
                return dark ? -Math.log(32) : Double.NEGATIVE_INFINITY;
            }
            case "circles":
                return logMix(new double[] {3, 1.5}, 0.24, x, y);
            case "rings":
                return logMix(new double[] {3, 2.25, 1.5, 0.75}, 0.08, x, y);
            case "moons": {
                int n = 4000;
                double[] terms = new double[2 * n];
                for (int i = 0; i < n; i++) {
                    double t = Math.PI * (i + 0.5) / n;
                    double w = Math.log(0.5 / n);
                    terms[i] = w + gauss2(x - (2 * Math.cos(t) - 1), y - (2 * Math.sin(t) - 0.2), 0.2);
                    terms[n + i] = w + gauss2(x - (2 * (1 - Math.cos(t)) - 1), y - (2 * (0.5 - Math.sin(t)) - 0.2), 0.2);
                }
                return logSumExp(terms);
            }
            case "swissroll": {
                int n = 12000;
                double[] terms = new double[n];
                for (int i = 0; i < n; i++) {
                    double t = 1.5 * Math.PI * (1 + 2 * (i + 0.5) / n);
                    terms[i] = Math.log(1.0 / n) + gauss2(x - t * Math.cos(t) / 5, y - t * Math.sin(t) / 5, 0.2);
                }
                return logSumExp(terms);
            }
            case "2spirals": {
                // n = 3π·sqrt(u): density 2n / (3π)² on [0, 3π]; the offset u/3 ~ U[0, 1/6]² plus N(0, 0.1²) per coordinate.
                int n = 12000;
                double len = 3 * Math.PI;
                double[] terms = new double[2 * n];
                for (int i = 0; i < n; i++) {
                    double m = len * (i + 0.5) / n;
                    double w = Math.log(0.5 * 2 * m / (len * len) * (len / n));
                    double cx = -Math.cos(m) * m / 3;
                    double cy = Math.sin(m) * m / 3;
                    terms[i] = w + logBoxNoise(x - cx) + logBoxNoise(y - cy);
                    terms[n + i] = w + logBoxNoise(-(x + cx)) + logBoxNoise(-(y + cy));
                }
                return logSumExp(terms);
            }
            default:
                throw new IllegalArgumentException("no closed-form density for toy '" + toy + "'");
        }
    }

    /** H of a toy from {@code m} fresh samples (seeded), in nats. */
    public static Estimate entropy(String toy, int m, long seed) {
        if (toy.equals("checkerboard")) {
            return new Estimate(Math.log(32), 0, "exact: uniform on area 32");
        }
        double[] pts = Toys.sampleDouble(toy, m, new SplittableRandom(seed));
        if (!hasDensity(toy)) {
            return kozachenkoLeonenko(pts, m);
        }
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < m; i++) {
            double v = -logDensity(toy, pts[2 * i], pts[2 * i + 1]);
            sum += v;
            sq += v * v;
        }
        double mean = sum / m;
        double var = Math.max(0, sq / m - mean * mean);
        return new Estimate(mean, Math.sqrt(var / m), toy.equals("8gaussians") ? "Monte Carlo over the exact mixture density"
                : "Monte Carlo over the density by 1-D quadrature");
    }

    /**
     * Kozachenko–Leonenko with k = 1 in 2-D: H ≈ ψ(N) − ψ(1) + log π + (2/N) Σ log ε_i, ε_i the
     * distance to the nearest other point (grid search). The stderr is the spread of the summands
     * only (the estimator's bias is not in it).
     */
    static Estimate kozachenkoLeonenko(double[] pts, int n) {
        double cell = 0.05;
        double minX = Double.MAX_VALUE;
        double minY = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            minX = Math.min(minX, pts[2 * i]);
            maxX = Math.max(maxX, pts[2 * i]);
            minY = Math.min(minY, pts[2 * i + 1]);
            maxY = Math.max(maxY, pts[2 * i + 1]);
        }
        int gx = (int) ((maxX - minX) / cell) + 1;
        int gy = (int) ((maxY - minY) / cell) + 1;
        int[] count = new int[gx * gy + 1];
        int[] cellOf = new int[n];
        for (int i = 0; i < n; i++) {
            int cx = (int) ((pts[2 * i] - minX) / cell);
            int cy = (int) ((pts[2 * i + 1] - minY) / cell);
            cellOf[i] = cy * gx + cx;
            count[cellOf[i] + 1]++;
        }
        for (int c = 0; c < gx * gy; c++) {
            count[c + 1] += count[c];
        }
        int[] order = new int[n];
        int[] fill = Arrays.copyOf(count, count.length);
        for (int i = 0; i < n; i++) {
            order[fill[cellOf[i]]++] = i;
        }
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            int cx = cellOf[i] % gx;
            int cy = cellOf[i] / gx;
            double best = Double.MAX_VALUE;
            for (int ring = 0; ring < Math.max(gx, gy); ring++) {
                if (best < Math.pow((ring - 1) * cell, 2) && ring > 1) {
                    break;
                }
                for (int yy = cy - ring; yy <= cy + ring; yy++) {
                    for (int xx = cx - ring; xx <= cx + ring; xx++) {
                        if (Math.max(Math.abs(yy - cy), Math.abs(xx - cx)) != ring || xx < 0 || yy < 0 || xx >= gx || yy >= gy) {
                            continue;
                        }
                        int c = yy * gx + xx;
                        for (int p = count[c]; p < count[c + 1]; p++) {
                            int j = order[p];
                            if (j != i) {
                                double dx = pts[2 * i] - pts[2 * j];
                                double dy = pts[2 * i + 1] - pts[2 * j + 1];
                                best = Math.min(best, dx * dx + dy * dy);
                            }
                        }
                    }
                }
            }
            double v = Math.log(best); // 2 log ε
            sum += v;
            sq += v * v;
        }
        double mean = sum / n;
        double var = Math.max(0, sq / n - mean * mean);
        double eulerGamma = 0.5772156649015329;
        double h = digamma(n) + eulerGamma + Math.log(Math.PI) + mean;
        return new Estimate(h, Math.sqrt(var / n), "Kozachenko-Leonenko 1-NN estimate over " + n + " samples");
    }

    /** ψ(n) for a large integer n by the asymptotic series. */
    static double digamma(double n) {
        return Math.log(n) - 1 / (2 * n) - 1 / (12 * n * n);
    }

    private static double gauss2(double dx, double dy, double s) {
        return -LOG_2PI - 2 * Math.log(s) - (dx * dx + dy * dy) / (2 * s * s);
    }

    /** Equal mixture of circles of radii r with uniform angle and isotropic noise s. */
    private static double logMix(double[] radii, double s, double x, double y) {
        int n = 720;
        double[] terms = new double[radii.length * n];
        for (int k = 0; k < radii.length; k++) {
            for (int i = 0; i < n; i++) {
                double t = 2 * Math.PI * i / n;
                terms[k * n + i] = Math.log(1.0 / (radii.length * n)) + gauss2(x - radii[k] * Math.cos(t), y - radii[k] * Math.sin(t), s);
            }
        }
        return logSumExp(terms);
    }

    /** log density of e = u/3 + g, u ~ U[0, 1/2], g ~ N(0, 0.1²): 6·(Φ(e/0.1) − Φ((e − 1/6)/0.1)). */
    private static double logBoxNoise(double e) {
        double p = 6 * (phi(e / 0.1) - phi((e - 1.0 / 6) / 0.1));
        return Math.log(Math.max(p, 1e-300));
    }

    /** Standard normal CDF via erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
    static double phi(double z) {
        return 0.5 * erfc(-z / Math.sqrt(2));
    }

    static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851638 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    static double logSumExp(double[] a) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : a) {
            m = Math.max(m, v);
        }
        if (m == Double.NEGATIVE_INFINITY) {
            return m;
        }
        double s = 0;
        for (double v : a) {
            s += Math.exp(v - m);
        }
        return m + Math.log(s);
    }
}
