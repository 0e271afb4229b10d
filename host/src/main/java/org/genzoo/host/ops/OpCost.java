package org.genzoo.host.ops;

/**
 * What one call of an op costs: floating-point operations and bytes moved to and from device
 * memory (each operand read or written once). Benchmarks divide these by device time.
 */
public record OpCost(double flops, double bytes) {
    public static OpCost of(double flops, double bytes) {
        return new OpCost(flops, bytes);
    }
}
