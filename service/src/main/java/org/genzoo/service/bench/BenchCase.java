package org.genzoo.service.bench;

import org.genzoo.host.Device;
import org.genzoo.host.ops.OpCost;

/**
 * One benchmark case: allocate inputs, validate the device result against the plain-Java reference,
 * then run repeatedly while the harness sums the device time of every kernel a run launches.
 */
public interface BenchCase extends AutoCloseable {
    /** Op family ("gemm", "elementwise", ...). */
    String family();

    /** Case name with its shape, e.g. "gemm NN 1024x1024x1024". */
    String name();

    OpCost cost();

    void setup(Device device);

    /** Throws AssertionError with the worst error when the device disagrees with the reference. */
    void validate();

    /** Enqueues one run (no waiting). */
    void run();

    /** Optional peer time in ns of the same work (CLBlast), or -1 when there is none. */
    default long peerRunNanos() {
        return -1;
    }

    default String peerName() {
        return "";
    }

    @Override
    void close();
}
