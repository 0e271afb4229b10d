package org.genzoo.host;

import java.util.List;
import java.util.Locale;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.cl.JoclApi;
import org.genzoo.host.cl.LwjglApi;

/** Chooses the OpenCL binding: "jocl" (default) or "lwjgl", from an option or GENZOO_BINDING. */
public final class Bindings {
    private Bindings() {
    }

    public static final String ENV = "GENZOO_BINDING";
    public static final List<String> NAMES = List.of("jocl", "lwjgl");

    /** The binding named by {@code option}, else by GENZOO_BINDING, else JOCL. */
    public static ClApi resolve(String option) {
        String name = option;
        if (name == null || name.isBlank()) {
            name = System.getenv(ENV);
        }
        if (name == null || name.isBlank()) {
            name = "jocl";
        }
        return load(name);
    }

    public static ClApi load(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "jocl" -> new JoclApi();
            case "lwjgl" -> new LwjglApi();
            default -> throw new IllegalArgumentException("unknown OpenCL binding '" + name + "': use one of " + NAMES);
        };
    }
}
