package org.genzoo.host.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/** Shared test helpers: seeded inputs, tolerance checks, central finite differences in double. */
public final class Check {
    private Check() {
    }

    /** n values uniform in [lo, hi) from a seed the caller prints on failure. */
    public static float[] uniform(long seed, int n, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return x;
    }

    public static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /**
     * Fails unless |got - ref| <= atol + rtol*|ref| everywhere (NaN/Inf in got fail unless ref has
     * the same). The message gives the seed, the first bad index and the worst error.
     */
    public static void close(double[] ref, float[] got, double atol, double rtol, String what) {
        if (ref.length != got.length) {
            fail(what + ": length " + got.length + ", expected " + ref.length);
        }
        int firstBad = -1;
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]);
            boolean ok = err <= atol + rtol * Math.abs(ref[i])
                    || (Double.isNaN(ref[i]) && Float.isNaN(got[i]))
                    || (Double.isInfinite(ref[i]) && got[i] == ref[i]);
            if (!ok || Float.isNaN(got[i]) && !Double.isNaN(ref[i])) {
                if (firstBad < 0) {
                    firstBad = i;
                }
                if (!(err <= worst)) {
                    worst = err;
                    worstAt = i;
                }
            }
        }
        if (firstBad >= 0) {
            fail(String.format(Locale.ROOT, "%s: element %d is %s, reference %s; worst error %.3g at %d (got %s, ref %s); atol %.1g rtol %.1g",
                    what, firstBad, got[firstBad], ref[firstBad], worst, worstAt, worstAt < 0 ? "?" : got[worstAt],
                    worstAt < 0 ? "?" : ref[worstAt], atol, rtol));
        }
    }

    /** d f / d x by central differences, in double, step h (relative to max(1, |x_i|)). */
    public static double[] finiteDiff(ToDoubleFunction<double[]> f, double[] x, double h) {
        double[] g = new double[x.length];
        double[] xp = x.clone();
        for (int i = 0; i < x.length; i++) {
            double step = h * Math.max(1, Math.abs(x[i]));
            xp[i] = x[i] + step;
            double fp = f.applyAsDouble(xp);
            xp[i] = x[i] - step;
            double fm = f.applyAsDouble(xp);
            xp[i] = x[i];
            g[i] = (fp - fm) / (2 * step);
        }
        return g;
    }
}
