package org.genzoo.models.ebm;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.genzoo.host.ops.GibbsReference;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.models.data.Dataset;
import org.genzoo.models.train.JobSpec;
import org.junit.jupiter.api.Test;

/**
 * AIS for the DBN (Salakhutdinov &amp; Murray 2008): the variational bound of a tiny DBN 16-6-4 from
 * {@link DbnModel#evaluate} against the bound computed exactly in double (the expectation over the
 * up-pass q by enumerating h1, the top RBM's log Z by enumeration), and the AIS estimate of the top
 * RBM's log Z against the exact one.
 */
class DbnBoundTest extends OnDevice {
    /** AIS (1,000 temperatures, 100 chains) of a 6-4 top RBM: its band there is a few hundredths of a nat. */
    static final double AIS_ATOL = 0.05;
    /** The device bound uses one q sample per example: 5 standard errors of that Monte-Carlo mean. */
    static final double MC_SIGMAS = 5;

    static double logSigmoid(double x) {
        return -(Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x))));
    }

    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    @Test
    void boundMatchesTheExactExpectationAndAisMatchesExactTopLogZ() {
        long seed = 307;
        int d = 16, h1 = 6, h2 = 4, n = 2000;
        // binary 4x4 bars: already 0/1, so the evaluation's fixed binarization leaves them as they are
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            boolean bar = rnd.nextBoolean();
            for (int j = 0; j < d; j++) {
                boolean on = bar ? j % 4 == 1 : j / 4 == 2;
                x[i * d + j] = (on ^ rnd.nextDouble() < 0.1) ? 1f : 0f;
            }
        }
        Dataset data = new Dataset("bars", 4, 4, x, null);
        try (DbnModel m = new DbnModel(dev, d, List.of(h1, h2), RbmLearner.Method.CD, 1, 0, null, 0.01f, 10, seed)) {
            Rbm l1 = m.layers().get(0);
            Rbm l2 = m.layers().get(1);
            l1.weights().value().write(Check.uniform(seed, d * h1, -1.5, 1.5));
            l1.visibleBias().value().write(Check.uniform(seed + 1, d, -1, 1));
            l1.hiddenBias().value().write(Check.uniform(seed + 2, h1, -1, 1));
            l2.weights().value().write(Check.uniform(seed + 3, h1 * h2, -1.5, 1.5));
            l2.visibleBias().value().write(Check.uniform(seed + 4, h1, -1, 1));
            l2.hiddenBias().value().write(Check.uniform(seed + 5, h2, -1, 1));
            double[] w1 = Check.toDouble(l1.weights().value().toArray());
            double[] b1 = Check.toDouble(l1.visibleBias().value().toArray());
            double[] c1 = Check.toDouble(l1.hiddenBias().value().toArray());
            double[] w2 = Check.toDouble(l2.weights().value().toArray());
            double[] b2 = Check.toDouble(l2.visibleBias().value().toArray());
            double[] c2 = Check.toDouble(l2.hiddenBias().value().toArray());
            double logZTop = GibbsReference.logZByVisible(w2, b2, c2, h1, h2);
            // per example: E_q[log p(v | h1) − F_top(h1) − log q(h1 | v)] and its variance under q, by enumerating h1
            double sum = 0;
            double var = 0;
            for (int i = 0; i < n; i++) {
                double[] qlogit = new double[h1];
                for (int j = 0; j < h1; j++) {
                    qlogit[j] = c1[j];
                    for (int k = 0; k < d; k++) {
                        qlogit[j] += x[i * d + k] * w1[k * h1 + j];
                    }
                }
                double e = 0;
                double e2 = 0;
                for (int s = 0; s < (1 << h1); s++) {
                    double lq = 0;
                    double top = 0;
                    for (int j = 0; j < h1; j++) {
                        int hj = (s >> j) & 1;
                        lq += logSigmoid(hj == 1 ? qlogit[j] : -qlogit[j]);
                        top += b2[j] * hj;
                    }
                    for (int k = 0; k < h2; k++) {
                        double y = c2[k];
                        for (int j = 0; j < h1; j++) {
                            y += ((s >> j) & 1) * w2[j * h2 + k];
                        }
                        top += softplus(y);
                    }
                    double lp = 0;
                    for (int k = 0; k < d; k++) {
                        double y = b1[k];
                        for (int j = 0; j < h1; j++) {
                            y += ((s >> j) & 1) * w1[k * h1 + j];
                        }
                        lp += logSigmoid(x[i * d + k] == 1f ? y : -y);
                    }
                    double f = lp + top - lq;
                    double q = Math.exp(lq);
                    e += q * f;
                    e2 += q * f * f;
                }
                sum += e;
                var += e2 - e * e;
            }
            double want = sum / n - logZTop;
            double se = Math.sqrt(var) / n;
            ObjectNode opts = JobSpec.mapper().createObjectNode().put("aisTemperatures", 1000).put("aisChains", 100).put("exactMaxHidden", 20);
            Map<String, Double> ev = m.evaluate(data, seed, opts);
            String what = "seed " + seed + ": " + ev;
            assertEquals(want, ev.get("dbn_bound_exact_z"), MC_SIGMAS * se + 1e-3, what + " vs exact expectation " + want + " (se " + se + ")");
            assertEquals(ev.get("dbn_bound_exact_z"), ev.get("dbn_bound"), AIS_ATOL, what);
            assertEquals(logZTop, ev.get("top_ais_log_z"), AIS_ATOL, what);
            assertTrue(ev.get("dbn_bound_lo") <= ev.get("dbn_bound_exact_z") && ev.get("dbn_bound_exact_z") <= ev.get("dbn_bound_hi"),
                    what + ": the exact-Z bound is outside the AIS band");
        }
    }
}
