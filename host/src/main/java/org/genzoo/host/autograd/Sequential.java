package org.genzoo.host.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Modules applied in order. */
public final class Sequential implements Module {
    private final List<Module> modules;

    public Sequential(List<Module> modules) {
        this.modules = List.copyOf(modules);
    }

    public static Sequential of(Module... modules) {
        return new Sequential(List.of(modules));
    }

    /** A parameter-free step (an activation) as a module. */
    public static Module fn(UnaryOperator<Var> f) {
        return new Module() {
            @Override
            public Var forward(Var x) {
                return f.apply(x);
            }

            @Override
            public List<Param> params() {
                return List.of();
            }
        };
    }

    public List<Module> modules() {
        return modules;
    }

    @Override
    public Var forward(Var x) {
        Var h = x;
        for (Module m : modules) {
            h = m.forward(h);
        }
        return h;
    }

    @Override
    public List<Param> params() {
        List<Param> all = new ArrayList<>();
        for (Module m : modules) {
            all.addAll(m.params());
        }
        return all;
    }

    @Override
    public void close() {
        for (Module m : modules) {
            try {
                m.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
