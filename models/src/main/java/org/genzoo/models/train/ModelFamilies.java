package org.genzoo.models.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The {@link ModelFamily} implementations on the class path, by name (found with {@link ServiceLoader}). */
public final class ModelFamilies {
    private ModelFamilies() {
    }

    /** Every family visible to this class's loader, by name; a name given twice is an error. */
    public static Map<String, ModelFamily> all() {
        return all(ModelFamilies.class.getClassLoader());
    }

    public static Map<String, ModelFamily> all(ClassLoader loader) {
        Map<String, ModelFamily> out = new TreeMap<>();
        for (ModelFamily f : ServiceLoader.load(ModelFamily.class, loader)) {
            ModelFamily old = out.put(f.name(), f);
            if (old != null) {
                throw new IllegalStateException("model family '" + f.name() + "' is registered twice: " + old.getClass().getName()
                        + " and " + f.getClass().getName());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** Sorted family names. */
    public static List<String> names() {
        return new ArrayList<>(all().keySet());
    }

    /** The family called {@code name}; an unknown name is an IllegalArgumentException listing the known ones. */
    public static ModelFamily get(String name) {
        ModelFamily f = all().get(name);
        if (f == null) {
            throw new IllegalArgumentException("unknown model family '" + name + "': known families are " + known());
        }
        return f;
    }

    /** "a, b, c", or "none (no family is registered)". */
    static String known() {
        List<String> n = names();
        return n.isEmpty() ? "none (no family is registered)" : String.join(", ", n);
    }
}
