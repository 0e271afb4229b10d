package org.genzoo.host;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.genzoo.host.cl.ClDeviceInfo;
import org.genzoo.host.cl.ClUnavailableException;
import org.junit.jupiter.api.Test;

/** Selection rules on a made-up device list (no OpenCL needed). */
class DeviceSelectorTest {
    private static ClDeviceInfo dev(int p, int d, String name, String type, int cu, int mhz) {
        return new ClDeviceInfo(p, d, "P" + p, "OpenCL 3.0", name, "V", type, "1.0", "OpenCL 3.0", "OpenCL C 1.2",
                cu, mhz, 1L << 30, 1L << 16, 1024, 1L << 28, true, null);
    }

    private final List<ClDeviceInfo> devices = List.of(
            dev(0, 0, "pthread-skylake", "cpu", 2, 2600),
            dev(1, 0, "Small GPU", "gpu", 10, 1000),
            dev(1, 1, "NVIDIA H100", "gpu", 132, 1980));

    @Test
    void autoPicksTheStrongestGpu() {
        assertEquals("NVIDIA H100", DeviceSelector.select(devices, "auto").name());
        assertEquals("NVIDIA H100", DeviceSelector.select(devices, "gpu").name());
    }

    @Test
    void autoFallsBackToCpu() {
        assertEquals("pthread-skylake", DeviceSelector.select(devices.subList(0, 1), "auto").name());
    }

    @Test
    void indexTypeAndName() {
        assertEquals("Small GPU", DeviceSelector.select(devices, "1:0").name());
        assertEquals("pthread-skylake", DeviceSelector.select(devices, "cpu").name());
        assertEquals("NVIDIA H100", DeviceSelector.select(devices, "h100").name());
    }

    @Test
    void unknownSelectorListsTheDevices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSelector.select(devices, "2:0"));
        assertTrue(e.getMessage().contains("1:1 NVIDIA H100"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DeviceSelector.select(devices, "accelerator"));
        assertThrows(IllegalArgumentException.class, () -> DeviceSelector.select(devices, "tpu-9000"));
    }

    @Test
    void noDevicesSaysWhatToInstall() {
        ClUnavailableException e = assertThrows(ClUnavailableException.class, () -> DeviceSelector.select(List.of(), "auto"));
        assertTrue(e.getMessage().contains("pocl-opencl-icd"), e.getMessage());
    }
}
