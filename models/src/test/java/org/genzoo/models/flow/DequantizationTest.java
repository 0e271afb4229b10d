package org.genzoo.models.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.models.data.Dataset;
import org.junit.jupiter.api.Test;

/**
 * The bits/dim convention of dequantized images end to end. With an identity flow (an ActNorm
 * before its initialization) every pixel is independent: p(v + u) = N(w)·|dw/dy'|, w = logit(α +
 * (1 − 2α)·y'/256), so the expected NLL over the noise is D·∫₀¹ −log p(v + u) du, computed here
 * by quadrature in double. The device's evaluation (one noise draw per image, 20,000 images)
 * must match it within its standard error.
 */
class DequantizationTest extends OnDevice {
    static final double ALPHA = 1e-6;

    /** −log p(y') for y' = v + u in [0, 256) under the identity flow, in double. */
    static double nllPixel(double yPrime) {
        double y = yPrime / 256;
        double p = ALPHA + (1 - 2 * ALPHA) * y;
        double w = Math.log(p) - Math.log(1 - p);
        double logN = -0.5 * Math.log(2 * Math.PI) - 0.5 * w * w;
        double logJac = Math.log(1 - 2 * ALPHA) - Math.log(p) - Math.log(1 - p) - Math.log(256);
        return -(logN + logJac);
    }

    static double expectedNll(int v) {
        int n = 200_000;
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += nllPixel(v + (i + 0.5) / n);
        }
        return s / n;
    }

    @Test
    void identityFlowMatchesTheQuadratureOfTheConvention() throws Exception {
        int[] values = {0, 17, 128, 255};
        int rows = 20_000;
        float[] x = new float[rows * values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < values.length; c++) {
                x[r * values.length + c] = values[c] / 255f;
            }
        }
        double want = 0;
        for (int v : values) {
            want += expectedNll(v);
        }
        var spec = new ObjectMapper().readTree("{\"family\":\"flow\",\"dequantize\":true,\"logitAlpha\":1e-6,"
                + "\"layers\":[{\"type\":\"actnorm\"}]}");
        try (FlowModel m = (FlowModel) new FlowFamily().create(dev, spec, values.length, 3)) {
            Map<String, Double> e = m.evaluate(new Dataset("pixels", 2, 2, x, null), 9);
            double tol = 4 * e.get("nll_stderr") + 1e-3;
            assertEquals(want, e.get("nll"), tol, "NLL (nats per image) of dequantized pixels in [0, 256)^D");
            assertEquals(e.get("nll") / (values.length * Math.log(2)), e.get("bits_per_dim"), 1e-12);
        }
    }
}
