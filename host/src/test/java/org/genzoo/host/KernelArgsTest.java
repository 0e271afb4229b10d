package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.junit.jupiter.api.Test;

/**
 * Kernel skips the driver call for an argument that already holds the value (OpenCL keeps
 * arguments between launches): every launch still computes from the arguments it was given,
 * whatever the previous launch of the same kernel used.
 */
class KernelArgsTest {
    private static final long SEED = 20261203;

    /** Counts setArg* calls to the real binding. */
    private static ClApi counting(ClApi api, AtomicInteger sets) {
        return (ClApi) Proxy.newProxyInstance(ClApi.class.getClassLoader(), new Class<?>[] {ClApi.class}, (p, m, args) -> {
            if (m.getName().startsWith("setArg")) {
                sets.incrementAndGet();
            }
            try {
                return m.invoke(api, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    /** y = alpha * x + beta * y in double, the reference. */
    private static double[] axpby(float alpha, float[] x, float beta, float[] y) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (double) alpha * x[i] + (beta == 0f ? 0 : (double) beta * y[i]);
        }
        return out;
    }

    @Test
    void alternatingArgumentsGiveEachLaunchItsOwnResultAndRepeatsSkipTheDriver() {
        TestDevices.all();
        AtomicInteger sets = new AtomicInteger();
        try (Device base = TestDevices.openDefault();
             Device dev = Device.open(counting(base.api(), sets), base.info())) {
            for (int n : new int[] {1, 7, 33, 93}) {
                String what = "seed " + SEED + " n " + n;
                float[] xa = Check.uniform(SEED + n, n, -2, 2);
                float[] xb = Check.uniform(SEED + 2L * n, n, -2, 2);
                float[] y0 = Check.uniform(SEED + 3L * n, n, -2, 2);
                try (Tensor a = Tensor.of(dev, 1, n, xa); Tensor b = Tensor.of(dev, 1, n, xb); Tensor ya = Tensor.empty(dev, 1, n);
                     Tensor yb = Tensor.empty(dev, 1, n)) {
                    SplittableRandom r = new SplittableRandom(SEED + n);
                    for (int k = 0; k < 12; k++) {
                        boolean useA = r.nextBoolean();
                        float alpha = r.nextBoolean() ? 1.5f : -0.25f;
                        float beta = r.nextBoolean() ? 0f : 0.5f;
                        Tensor y = useA ? ya : yb;
                        y.write(y0);
                        Elementwise.axpby(y, alpha, useA ? a : b, beta);
                        Check.close(axpby(alpha, useA ? xa : xb, beta, y0), y.toArray(), 0, 1e-6,
                                what + " launch " + k);
                    }
                    // a view of the same buffer: same handle, other offset
                    Elementwise.axpby(ya.cols(1, n), 2f, a.cols(0, n - 1), 0f);
                    float[] got = ya.toArray();
                    for (int i = 1; i < n; i++) {
                        assertEquals(2f * xa[i - 1], got[i], what + " view column " + i);
                    }
                    // the sign of zero is a different float: alpha = -0 must reach the kernel after +0
                    Elementwise.axpby(yb, 0f, a, 0f);
                    Elementwise.axpby(yb, -0f, a, 0f);
                    float[] z = yb.toArray();
                    for (int i = 0; i < n; i++) {
                        float expect = xa[i] > 0 ? -0f : xa[i] < 0 ? 0f : z[i];
                        assertEquals(Float.floatToIntBits(expect), Float.floatToIntBits(z[i]), what + " -0 * x at " + i);
                    }
                    // the same launch twice: the second sets no argument
                    Elementwise.axpby(ya, 1.5f, b, 0.5f);
                    int before = sets.get();
                    Elementwise.axpby(ya, 1.5f, b, 0.5f);
                    assertEquals(before, sets.get(), what + ": a repeated launch called setArg");
                }
            }
        }
    }
}
