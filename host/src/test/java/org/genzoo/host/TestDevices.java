package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import org.genzoo.host.cl.ClApi;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.host.cl.ClUnavailableException;
import org.genzoo.host.testing.SimGpu;

/**
 * Which (binding, device) pairs a test can run on. Under CI (CI=true) a missing OpenCL device is a
 * failure; on a developer's machine the test is skipped with the reason.
 */
public final class TestDevices {
    private TestDevices() {
    }

    public record Target(String binding, ClApi api, ClDeviceInfo device) {
        @Override
        public String toString() {
            return binding + " " + device.selector() + " " + device.name();
        }
    }

    private static List<Target> cached;

    /** Every device under every binding that loads. */
    public static synchronized List<Target> all() {
        if (cached == null) {
            List<Target> out = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            for (String b : Bindings.NAMES) {
                try {
                    ClApi api = Bindings.load(b);
                    for (ClDeviceInfo d : api.devices()) {
                        out.add(new Target(b, api, d));
                    }
                } catch (ClUnavailableException | LinkageError e) {
                    problems.add(b + ": " + e.getMessage());
                }
            }
            if (out.isEmpty()) {
                String why = "no OpenCL device found (" + String.join("; ", problems) + "). " + (SimGpu.active()
                        ? "The simulated-GPU pass runs on Oclgrind (OCL_ICD_VENDORS=" + System.getenv("OCL_ICD_VENDORS") + "): install"
                                + " the Debian package oclgrind (./genzoo test does), or leave the pass out with -Dgenzoo.simgpu.skip=true"
                        : ClUnavailableException.INSTALL_HINT);
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    fail("CI=true and " + why);
                }
                assumeTrue(false, "skipped: " + why);
            }
            cached = out;
        }
        return cached;
    }

    /** One device (GENZOO_DEVICE or auto) under the default binding, opened for the test. */
    public static Device openDefault() {
        all();
        return Device.open((String) null, (String) null);
    }
}
