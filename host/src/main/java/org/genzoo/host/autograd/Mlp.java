package org.genzoo.host.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;

/**
 * A multilayer perceptron: sizes[0] -> sizes[1] -> ... -> sizes[n], the hidden activation fused
 * into each hidden layer's GEMM, the output activation into the last.
 */
public final class Mlp {
    private Mlp() {
    }

    public static Sequential of(Device device, String name, int[] sizes, F.LinearAct hidden, F.LinearAct output,
            SplittableRandom init) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException(name + ": an MLP needs at least an input and an output size");
        }
        List<Module> layers = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            boolean last = i + 2 == sizes.length;
            layers.add(new Linear(device, name + "." + i, sizes[i], sizes[i + 1], last ? output : hidden, init));
        }
        return new Sequential(layers);
    }
}
