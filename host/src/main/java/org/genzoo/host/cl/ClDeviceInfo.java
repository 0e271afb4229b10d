package org.genzoo.host.cl;

/**
 * What a device says about itself. {@code handle} is the binding's opaque device id.
 *
 * @param platformIndex index of the platform in the loader's order
 * @param deviceIndex index of the device within its platform
 */
public record ClDeviceInfo(
        int platformIndex,
        int deviceIndex,
        String platformName,
        String platformVersion,
        String name,
        String vendor,
        String type,
        String driverVersion,
        String deviceVersion,
        String openclCVersion,
        int computeUnits,
        int maxClockMhz,
        long globalMemBytes,
        long localMemBytes,
        long maxWorkGroupSize,
        long maxAllocBytes,
        boolean fp64,
        Object handle) {

    /** "0:1" style selector for this device. */
    public String selector() {
        return platformIndex + ":" + deviceIndex;
    }

    /** A score to rank GPUs for {@code auto}: compute units times clock. */
    public long throughputScore() {
        return (long) computeUnits * Math.max(1, maxClockMhz);
    }

    /** Stable identity of the device and its driver, used in program-cache keys. */
    public String cacheIdentity() {
        return platformName + "|" + platformVersion + "|" + name + "|" + vendor + "|" + driverVersion + "|" + deviceVersion;
    }

    @Override
    public String toString() {
        return selector() + " " + name + " (" + type + ", " + platformName + ", driver " + driverVersion + ")";
    }
}
