package org.genzoo.models.vae;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.autograd.Var;
import org.genzoo.host.ops.Elementwise;
import org.genzoo.host.tensor.Tensor;

/**
 * The last loss call's metrics: device scalars copied into one model-owned 1 x N tensor (no
 * readback while training) plus host-known values (schedules), read together by {@link #read()}.
 */
final class Metrics implements AutoCloseable {
    private final List<String> deviceNames;
    private final Tensor values;
    private final Map<String, Float> host = new LinkedHashMap<>();
    private boolean written;

    Metrics(Device device, List<String> deviceNames) {
        this.deviceNames = List.copyOf(deviceNames);
        this.values = Tensor.zeros(device, 1, deviceNames.size());
    }

    private Tensor slot(String name) {
        int i = deviceNames.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no metric slot " + name + " in " + deviceNames);
        }
        return values.cols(i, i + 1);
    }

    /** Starts a new record (clears host values). */
    void begin() {
        host.clear();
        written = true;
    }

    /** Copies a 1 x 1 value into the slot {@code name} (device copy). */
    void put(String name, Var scalar) {
        slot(name).copyFrom(scalar.value());
    }

    /** slot = a − b for 1 x 1 values (device). */
    void putDifference(String name, Var a, Var b) {
        Elementwise.sub(slot(name), a.value(), b.value());
    }

    /**
     * The slots {@code names}, in that order, as one 1 x n view when they lie side by side (an op
     * can then write them all at once, e.g. {@link org.genzoo.host.autograd.F#elbo}); else null.
     */
    Tensor slots(String... names) {
        int first = deviceNames.indexOf(names[0]);
        if (first < 0 || first + names.length > deviceNames.size()) {
            return null;
        }
        for (int i = 1; i < names.length; i++) {
            if (!deviceNames.get(first + i).equals(names[i])) {
                return null;
            }
        }
        return values.cols(first, first + names.length);
    }

    void putHost(String name, float value) {
        host.put(name, value);
    }

    Map<String, Float> read() {
        if (!written) {
            return Map.of();
        }
        float[] v = values.toArray();
        Map<String, Float> out = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) {
            out.put(deviceNames.get(i), v[i]);
        }
        out.putAll(host);
        return Collections.unmodifiableMap(out);
    }

    /** The device slots as 1 x 1 views of the model-owned tensor (valid until the next loss call). */
    Map<String, Tensor> terms() {
        if (!written) {
            return Map.of();
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String n : deviceNames) {
            out.put(n, slot(n));
        }
        return Collections.unmodifiableMap(out);
    }

    static List<String> names(String... names) {
        return new ArrayList<>(List.of(names));
    }

    @Override
    public void close() {
        values.close();
    }
}
