package org.genzoo.service.bench;

import java.util.Locale;
import java.util.SplittableRandom;
import org.genzoo.host.ClBlastPeer;
import org.genzoo.host.Device;
import org.genzoo.host.ops.Gemm;
import org.genzoo.host.ops.OpCost;
import org.genzoo.host.tensor.Tensor;

/** C = op(A)·op(B) at one shape, ours vs CLBlast on the same buffers and queue. */
final class GemmCase implements BenchCase {
    /** Inputs in [-1, 1): a float32 dot product of length K errs by at most about K·eps (6e-8·K); allow 16x that. */
    private static final double ATOL_PER_K = 1e-6;
    /** Entries checked against the double reference for large products (all of them when small). */
    private static final int SAMPLES = 4096;

    private final String label;
    private final int m;
    private final int n;
    private final int k;
    private final boolean ta;
    private final boolean tb;
    private Device dev;
    private Gemm gemm;
    private Tensor a;
    private Tensor b;
    private Tensor c;
    private float[] ha;
    private float[] hb;

    GemmCase(String label, int m, int n, int k, boolean ta, boolean tb) {
        this.label = label;
        this.m = m;
        this.n = n;
        this.k = k;
        this.ta = ta;
        this.tb = tb;
    }

    @Override
    public String family() {
        return "gemm";
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "gemm %s%s M=%d N=%d K=%d%s", ta ? "T" : "N", tb ? "T" : "N", m, n, k,
                label.isEmpty() ? "" : " (" + label + ")");
    }

    @Override
    public OpCost cost() {
        return Gemm.cost(m, n, k, false);
    }

    private static float[] random(long seed, int len) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    @Override
    public void setup(Device device) {
        dev = device;
        gemm = new Gemm(device);
        ha = random(1, m * k);
        hb = random(2, k * n);
        a = ta ? Tensor.of(device, k, m, ha) : Tensor.of(device, m, k, ha);
        b = tb ? Tensor.of(device, n, k, hb) : Tensor.of(device, k, n, hb);
        c = Tensor.zeros(device, m, n);
    }

    private double ref(int i, int j) {
        double s = 0;
        for (int p = 0; p < k; p++) {
            double av = ta ? ha[p * m + i] : ha[i * k + p];
            double bv = tb ? hb[j * k + p] : hb[p * n + j];
            s += av * bv;
        }
        return s;
    }

    @Override
    public void validate() {
        run();
        check(c.toArray(), "ours");
        if (ClBlastPeer.supports(dev)) {
            c.fill(0f);
            peerRunNanos();
            check(c.toArray(), "CLBlast");
        }
    }

    private void check(float[] got, String who) {
        double tol = ATOL_PER_K * k + 1e-5;
        long total = (long) m * n;
        SplittableRandom r = new SplittableRandom(3);
        int count = (int) Math.min(total, SAMPLES);
        for (int s = 0; s < count; s++) {
            int idx = total <= SAMPLES ? s : (int) r.nextLong(total);
            int i = idx / n;
            int j = idx % n;
            double want = ref(i, j);
            double err = Math.abs(got[idx] - want);
            if (!(err <= tol)) {
                throw new AssertionError(String.format(Locale.ROOT, "%s: %s C[%d,%d] = %s, reference %.6f (error %.3g)", name(), who,
                        i, j, got[idx], want, err));
            }
        }
    }

    @Override
    public void run() {
        gemm.mm(c, a, ta, b, tb);
    }

    @Override
    public long peerRunNanos() {
        return ClBlastPeer.supports(dev) ? ClBlastPeer.sgemm(dev, c, a, ta, b, tb, 1f, 0f) : -1;
    }

    @Override
    public String peerName() {
        return "CLBlast";
    }

    @Override
    public void close() {
        a.close();
        b.close();
        c.close();
    }
}
