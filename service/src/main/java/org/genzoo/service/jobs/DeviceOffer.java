package org.genzoo.service.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Locale;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.models.train.JobSpec;

/**
 * What a worker offers when it claims: its device's class ({@code gpu}, {@code cpu},
 * {@code accelerator}), its {@code P:D} selector, its name, and the device memory it has free. A
 * job's {@code "device"} selector accepts the offer as {@link DeviceMatch} accepts a device; a job
 * whose memory estimate exceeds {@code freeBytes} is not claimed.
 */
public record DeviceOffer(String deviceType, String deviceSelector, String deviceName, long freeBytes) {
    public DeviceOffer {
        deviceType = deviceType.toLowerCase(Locale.ROOT);
        if (freeBytes < 0) {
            throw new IllegalArgumentException("free device memory cannot be negative, got " + freeBytes);
        }
    }

    /** The offer of an open device: global memory minus what is allocated through its pool now. */
    public static DeviceOffer of(ClDeviceInfo d, long allocatedBytes) {
        return new DeviceOffer(d.type(), d.selector(), d.name(), Math.max(0, d.globalMemBytes() - allocatedBytes));
    }

    /** Whether a selector ({@code auto}, a class, {@code P:D}, or part of a name) accepts this device. */
    public boolean accepts(String selector) {
        String s = normalize(selector);
        if (s.equals("auto")) {
            return true;
        }
        if (s.matches("\\d+:\\d+")) {
            return s.equals(deviceSelector);
        }
        if (DeviceMatch.CLASSES.contains(s)) {
            return s.equals(deviceType);
        }
        return deviceName.toLowerCase(Locale.ROOT).contains(s);
    }

    /** Whether the job's spec selector accepts this device (memory is the store's to check). */
    public boolean accepts(Job j) {
        return accepts(selectorOf(j.specJson()));
    }

    /** A selector as stores keep it: trimmed, lower case, blank = auto. */
    static String normalize(String selector) {
        String s = selector == null ? "" : selector.trim().toLowerCase(Locale.ROOT);
        return s.isEmpty() ? "auto" : s;
    }

    /** The {@code "device"} of a spec's JSON, normalized; a spec that cannot be read counts as auto (its run reports it). */
    static String selectorOf(String specJson) {
        try {
            JsonNode spec = JobSpec.mapper().readTree(specJson);
            return normalize(spec.path("device").asText("auto"));
        } catch (IOException e) {
            return "auto";
        }
    }
}
