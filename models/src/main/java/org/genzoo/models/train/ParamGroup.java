package org.genzoo.models.train;

import java.util.List;
import org.genzoo.host.autograd.Param;

/**
 * A named set of a model's parameters that one optimizer updates (see {@link TrainableModel#groups()}).
 * A VAE or a flow has one group, {@link #DEFAULT}; a GAN has "generator" and "discriminator". The spec's
 * {@code optimizer} is one object (every group gets its own optimizer with those settings) or an object
 * keyed by group name. Every parameter of {@link TrainableModel#params()} belongs to exactly one group.
 *
 * @param name   [A-Za-z0-9_-]+, stable: checkpoints and the spec name it
 * @param params the group's parameters, in a fixed order
 */
public record ParamGroup(String name, List<Param> params) {
    /** The name of the only group of a one-group model. */
    public static final String DEFAULT = "model";

    public ParamGroup {
        if (name == null || !name.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("a parameter group name is [A-Za-z0-9_-]+, got '" + name + "'");
        }
        params = List.copyOf(params);
    }

    /** The one group of a one-group model. */
    public static ParamGroup of(List<Param> params) {
        return new ParamGroup(DEFAULT, params);
    }
}
