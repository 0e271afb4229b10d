package org.genzoo.host.autograd;

import java.util.List;

/** A differentiable function with parameters: models are built from these. */
public interface Module extends AutoCloseable {
    Var forward(Var x);

    /** Every parameter, in a fixed order (optimizers and checkpoints rely on it). */
    List<Param> params();

    @Override
    default void close() {
        for (Param p : params()) {
            p.close();
        }
    }
}
