package org.genzoo.host.ops;

import java.util.HashMap;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.WorkGroups;
import org.genzoo.host.tensor.Tensor;

/**
 * All-pairs densities for evaluation (kernels/eval.cl): the log-density of every sample under every
 * diagonal Gaussian of a set, the N x M block behind the aggregate posterior
 * q(z) = (1/N) Σ_m q(z | x_m) of ELBO surgery (Hoffman &amp; Johnson 2016). Forward only: evaluation
 * needs no gradient, so there is no backward kernel.
 *
 * <p>Deterministic: each output sums its L terms in index order, whatever the tiling. Tile sizes
 * come from the device's tuning file ({@code kernels/tuning/eval.properties}, keys TN, TM, TL),
 * else the kernel's defaults.
 */
public final class Pairwise {
    public static final String FILE = "eval.cl";
    /** The usual tile edge, used for the cost estimate (the launch uses the device's tiles). */
    static final int DEFAULT_TN = 16;
    /** Flops of one (n, m, l) term: subtract, square, scale, two adds, halve, and the 4 of the Kahan update. */
    static final double TERM_FLOPS = 10;

    private Pairwise() {
    }

    /**
     * The tile sizes for one device, looked up once and shared: TN x TM work-items per work-group
     * and TL latent columns staged at a time. Defaults: 16 each, the edges halved until TN·TM fits
     * the device's work-group limit.
     */
    private record Tiles(int tn, int tm, int tl, Map<String, String> defines) {
        static Tiles of(Device device) {
            Tuning tuning = device.tuning("eval");
            int edge = Math.min(16, Integer.highestOneBit((int) Math.max(1, Math.sqrt(WorkGroups.pow2(device, 256, 0)))));
            int tn = tuning.getInt("TN", edge);
            int tm = tuning.getInt("TM", edge);
            int tl = tuning.getInt("TL", 16);
            Map<String, String> t = new HashMap<>(tuning.values());
            t.put("TN", Integer.toString(tn));
            t.put("TM", Integer.toString(tm));
            t.put("TL", Integer.toString(tl));
            return new Tiles(tn, tm, tl, Map.copyOf(t));
        }
    }

    /**
     * out[n, m] = log N(z_n; mu_m, diag exp(logvar_m))
     *           = Σ_l −0.5·(log 2π + logvar[m, l] + (z[n, l] − mu[m, l])² · exp(−logvar[m, l])).
     * out: N x M; z: N x L; mu, logvar: M x L (any of them may be views). L = 0 gives zeros.
     */
    public static void gaussianLogDensity(Tensor out, Tensor z, Tensor mu, Tensor logvar) {
        int n = z.rows();
        int m = mu.rows();
        int l = z.cols();
        mu.requireShape(logvar, "pairwise gaussianLogDensity mu vs logvar");
        if (mu.cols() != l) {
            throw new IllegalArgumentException("pairwise gaussianLogDensity: z is " + z.shape() + " and mu " + mu.shape()
                    + ": both need L = " + l + " columns");
        }
        if (out.rows() != n || out.cols() != m) {
            throw new IllegalArgumentException("pairwise gaussianLogDensity: out must be " + n + " x " + m + " (rows of z x rows of mu), got "
                    + out.shape());
        }
        Elementwise.sameDevice(out, z, mu, logvar);
        if (n == 0 || m == 0) {
            return;
        }
        Device d = out.device();
        Tiles tiles = d.shared(Tiles.class, Tiles::of);
        Kernel k = d.kernel(FILE, "pairwise_gaussian_logdensity", tiles.defines()).args(out, out.offset(), out.ld(),
                z, z.offset(), z.ld(), mu, mu.offset(), mu.ld(), logvar, logvar.offset(), logvar.ld(), n, m, l);
        long gx = ceil(m, tiles.tm()) * tiles.tm();
        long gy = ceil(n, tiles.tn()) * tiles.tn();
        d.launch(k, new long[] {gx, gy}, new long[] {tiles.tm(), tiles.tn()});
    }

    /**
     * {@link #gaussianLogDensity}: {@link #TERM_FLOPS} per (n, m, l) term plus one exp per staged
     * log-variance (M·L per row tile of N); reads z, mu, logvar once, writes N x M.
     */
    public static OpCost gaussianLogDensityCost(int n, int m, int l) {
        double terms = (double) n * m * l;
        double exps = (double) m * l * ceil(n, DEFAULT_TN);
        return OpCost.of(TERM_FLOPS * terms + exps, ((double) n * l + 2.0 * m * l + (double) n * m) * Float.BYTES);
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }
}
