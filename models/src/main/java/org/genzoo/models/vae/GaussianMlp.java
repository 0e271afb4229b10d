package org.genzoo.models.vae;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.F;
import org.genzoo.host.autograd.Linear;
import org.genzoo.host.autograd.Mlp;
import org.genzoo.host.autograd.Module;
import org.genzoo.host.autograd.Param;
import org.genzoo.host.autograd.Sequential;
import org.genzoo.host.autograd.Var;

/**
 * A diagonal Gaussian conditional N(mu(x), diag exp(logvar(x))): a trunk MLP in -> hidden...
 * (every layer activated) and one linear head to [mu | logvar] of width 2·OUT. {@link #forward}
 * returns that R x 2·OUT matrix; {@link #mu} and {@link #logvar} split it with {@link F#cols}.
 * Parameters: the trunk's layers in order ({@code name.trunk.i.weight/bias}), then the head.
 */
public final class GaussianMlp implements Module {
    private final Sequential trunk;
    private final Linear head;
    private final int in;
    private final int out;

    public GaussianMlp(Device device, String name, int in, List<Integer> hidden, int out, Activation act, SplittableRandom init) {
        this.in = in;
        this.out = out;
        if (hidden.isEmpty()) {
            trunk = null;
        } else {
            int[] sizes = new int[hidden.size() + 1];
            sizes[0] = in;
            for (int i = 0; i < hidden.size(); i++) {
                sizes[i + 1] = hidden.get(i);
            }
            trunk = Mlp.of(device, name + ".trunk", sizes, act.linear(), act.linear(), init);
        }
        int last = hidden.isEmpty() ? in : hidden.get(hidden.size() - 1);
        head = new Linear(device, name + ".head", last, 2 * out, F.LinearAct.NONE, init);
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }

    /** [mu | logvar].  x: R x IN -> R x 2·OUT. */
    @Override
    public Var forward(Var x) {
        return head.forward(trunk == null ? x : trunk.forward(x));
    }

    /** The mean columns of {@link #forward}'s output. */
    public Var mu(Var s) {
        return F.cols(s, 0, out);
    }

    /** The log-variance columns of {@link #forward}'s output. */
    public Var logvar(Var s) {
        return F.cols(s, out, 2 * out);
    }

    @Override
    public List<Param> params() {
        List<Param> ps = new ArrayList<>();
        if (trunk != null) {
            ps.addAll(trunk.params());
        }
        ps.addAll(head.params());
        return ps;
    }
}
