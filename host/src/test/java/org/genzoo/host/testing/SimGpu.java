package org.genzoo.host.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The simulated-GPU pass of the test suite: the same op tests, run a second time on Oclgrind (a
 * strict OpenCL 1.2 GPU simulator with 32 KiB of local memory) with its data-race,
 * uninitialized-read and out-of-bounds checks on ({@link OclgrindLogCheck} fails a test that
 * makes Oclgrind report anything). Oclgrind interprets every work-item, so that pass keeps only the
 * small shapes of a test's shape list (system property {@code genzoo.simgpu=true}, set by the
 * host module's "simgpu" surefire execution), and tests tagged {@code large} do not run there.
 */
public final class SimGpu {
    /** Largest dimension and element count a shape may have in the simulated pass. */
    static final int MAX_DIM = 100;
    static final int MAX_ELEMENTS = 1000;

    private SimGpu() {
    }

    public static boolean active() {
        return Boolean.getBoolean("genzoo.simgpu");
    }

    /** {@code shapes} as given, or in the simulated pass only those within {@link #MAX_DIM} and {@link #MAX_ELEMENTS}, plus 33 x 7. */
    public static int[][] shapes(int[][] shapes) {
        if (!active()) {
            return shapes;
        }
        List<int[]> out = new ArrayList<>();
        for (int[] s : shapes) {
            if (Arrays.stream(s).allMatch(d -> d <= MAX_DIM) && Arrays.stream(s).asLongStream().reduce(1, (a, b) -> a * b) <= MAX_ELEMENTS) {
                out.add(s);
            }
        }
        if (shapes.length > 0 && shapes[0].length == 2) {
            out.add(new int[] {33, 7});
        }
        return out.toArray(int[][]::new);
    }

    /**
     * Whether an op test's per-variant loop runs {@code variant}: every variant in the ordinary
     * pass; in the simulated-GPU pass only the device's tuned one (there VariantsOddShapesTest runs
     * every variant at the odd shapes, and Oclgrind's time is the pass's budget).
     */
    public static boolean variantRuns(Object variant, Object tuned) {
        return !active() || variant.equals(tuned);
    }

    /** {@code sizes} as given, or in the simulated pass only those up to {@link #MAX_DIM}. */
    public static int[] sizes(int[] sizes) {
        return active() ? Arrays.stream(sizes).filter(s -> s <= MAX_DIM).toArray() : sizes;
    }
}
