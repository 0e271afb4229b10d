package org.genzoo.host.testing;

import org.genzoo.host.Device;
import org.genzoo.host.TestDevices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base for test classes that run on the default device: opened once per class, closed after. */
public abstract class OnDevice {
    protected static Device dev;

    @BeforeAll
    static void openDevice() {
        dev = TestDevices.openDefault();
    }

    @AfterAll
    static void closeDevice() {
        if (dev != null) {
            dev.close();
            dev = null;
        }
    }
}
