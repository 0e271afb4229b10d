package org.genzoo.models.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.genzoo.host.autograd.Adam;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Tape;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.tensor.Tensor;
import org.genzoo.host.testing.Check;
import org.genzoo.host.testing.OnDevice;
import org.genzoo.models.train.SpecError;
import org.genzoo.models.vae.KlEstimator;
import org.genzoo.models.vae.Vae;
import org.genzoo.models.vae.VaeConfig;
import org.genzoo.models.vae.VaeFamily;
import org.junit.jupiter.api.Test;

/**
 * IAF as a VAE posterior. The IAF layer itself (its differentiable sampling direction, log-det
 * against the numeric Jacobian, finite-difference gradients) is covered by {@link FlowLayersTest};
 * here: a fresh IAF is the identity, so the VAE's loss equals the plain VAE's single-sample-KL loss
 * with the same seed bit for bit; the IAF parameters get gradients once it is not the identity,
 * and training lowers the loss; the spec field is validated.
 */
class IafVaeTest extends OnDevice {
    static final int D = 12;
    static final int L = 3;
    static final int B = 16;

    static VaeConfig config() {
        return VaeConfig.builder(D, L).hidden(10).kl(KlEstimator.SAMPLE).seed(5).build();
    }

    static JsonNode flowSpec() throws Exception {
        return new ObjectMapper().readTree("{\"type\":\"iaf\",\"layers\":2,\"hidden\":[8]}");
    }

    static float loss(Vae v, Tensor x) {
        try (Tape t = Tape.record(dev)) {
            Var l = v.loss(t, x, 0);
            t.backward(l);
            return l.value().get(0, 0);
        }
    }

    @Test
    void freshIafIsTheIdentityAndTrainingUsesIt() throws Exception {
        float[] xs = Check.uniform(3, B * D, 0, 1);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = xs[i] < 0.3f ? 1f : 0f;
        }
        try (Tensor x = Tensor.of(dev, B, D, xs); Vae plain = new Vae(dev, config()); Vae iaf = new Vae(dev, config(), flowSpec())) {
            assertEquals(plain.params().size() + 2 * 2 * 2, iaf.params().size(), "2 IAF layers of 2 masked linear layers (W, b)");
            assertEquals(loss(plain, x), loss(iaf, x), 0f, "identity IAF: same loss as the plain VAE");
            List<Param> flowParams = iaf.params().subList(plain.params().size(), iaf.params().size());
            FlowLayersTest.randomize(flowParams, 9, 0.3);
            for (Param p : iaf.params()) {
                p.zeroGrad();
            }
            float before = loss(iaf, x);
            double g = 0;
            for (Param p : flowParams) {
                for (float v : p.grad().toArray()) {
                    g += Math.abs(v);
                }
            }
            assertTrue(g > 0, "the IAF parameters get gradients");
            try (Adam opt = new Adam(dev, iaf.params(), 1e-2f)) {
                float last = before;
                for (int s = 0; s < 150; s++) {
                    try (Tape t = Tape.record(dev)) {
                        Var l = iaf.loss(t, x, s);
                        t.backward(l);
                        opt.step();
                        if (s == 149) {
                            last = l.value().get(0, 0);
                        }
                    }
                }
                assertTrue(last < before - 1, "loss " + before + " -> " + last);
            }
        }
    }

    @Test
    void specFieldIsValidated() throws Exception {
        ObjectMapper m = new ObjectMapper();
        List<SpecError> ok = new VaeFamily().validate(m.readTree("{\"family\":\"vae\",\"latent\":8,"
                + "\"posteriorFlow\":{\"type\":\"iaf\",\"layers\":2,\"hidden\":[32]}}"), "/model");
        assertTrue(ok.isEmpty(), ok.toString());
        List<SpecError> bad = new VaeFamily().validate(m.readTree("{\"family\":\"vae\",\"latent\":8,"
                + "\"posteriorFlow\":{\"type\":\"maf\",\"layers\":0}}"), "/model");
        List<String> ptrs = bad.stream().map(SpecError::pointer).toList();
        assertTrue(ptrs.contains("/model/posteriorFlow/type") && ptrs.contains("/model/posteriorFlow/layers"), ptrs.toString());
    }
}
