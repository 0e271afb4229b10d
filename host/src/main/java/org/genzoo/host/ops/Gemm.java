package org.genzoo.host.ops;

import java.util.HashMap;
import java.util.Map;
import org.genzoo.host.Device;
import org.genzoo.host.Kernel;
import org.genzoo.host.Tuning;
import org.genzoo.host.tensor.Tensor;

/**
 * C = act(alpha·op(A)·op(B) + beta·C + bias) on row-major tensors (kernels/gemm.cl). op(X) is X or
 * Xᵀ. Each (transA, transB, act, bias) combination is its own specialized build; tile sizes come
 * from the device's tuning file (kernels/tuning/gemm.properties). With beta = 0, C is not read.
 */
public final class Gemm implements AutoCloseable {
    /** Fused epilogue activations; the code is the kernel's ACT define. */
    public enum Act {
        NONE(0), RELU(1), TANH(2), SIGMOID(3), LEAKY_RELU(4), SOFTPLUS(5);

        final int code;

        Act(int code) {
            this.code = code;
        }
    }

    /** Block of C one work-group computes, when the tuning file names none. */
    static final int DEFAULT_MC = 256;
    static final int DEFAULT_NC = 256;

    private final Device device;
    private final Map<String, String> tuning;
    private final int mc;
    private final int nc;
    private final Tensor noBias;

    public Gemm(Device device) {
        this.device = device;
        Map<String, String> t = new HashMap<>(Tuning.defines("gemm", device.info()));
        // The launch grid depends on the block sizes, so the host always passes the ones it uses.
        t.putIfAbsent("MC", Integer.toString(DEFAULT_MC));
        t.putIfAbsent("NC", Integer.toString(DEFAULT_NC));
        this.tuning = Map.copyOf(t);
        this.mc = Integer.parseInt(tuning.get("MC"));
        this.nc = Integer.parseInt(tuning.get("NC"));
        this.noBias = Tensor.zeros(device, 1, 1);
    }

    /** C = op(A)·op(B). */
    public void mm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB) {
        gemm(c, a, transA, b, transB, 1f, 0f, null, Act.NONE);
    }

    /**
     * The full product. Shapes: op(A) is M x K, op(B) is K x N, C is M x N, bias (optional) is
     * 1 x N. A, B and C may be views (ld > cols).
     */
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta, Tensor bias,
            Act act) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm: op(A) " + m + " x " + k + ", op(B) " + kb + " x " + n + ", C " + c.shape()
                    + " do not chain (need op(A) M x K, op(B) K x N, C M x N)");
        }
        if (bias != null && (bias.rows() != 1 || bias.cols() != n)) {
            throw new IllegalArgumentException("gemm: bias must be 1 x " + n + ", got " + bias.shape());
        }
        if (m == 0 || n == 0) {
            return;
        }
        Map<String, String> defs = new HashMap<>(tuning);
        defs.put("TRANS_A", transA ? "1" : "0");
        defs.put("TRANS_B", transB ? "1" : "0");
        defs.put("ACT", Integer.toString(act.code));
        defs.put("HAS_BIAS", bias == null ? "0" : "1");
        Tensor bv = bias == null ? noBias : bias;
        Kernel kern = device.kernel("gemm.cl", "gemm", defs).args(c, c.offset(), c.ld(), a, a.offset(), a.ld(), b, b.offset(),
                b.ld(), bv, bv.offset(), m, n, k, alpha, beta);
        device.launch(kern, global(m, n), new long[] {1, 1});
    }

    /**
     * Launch geometry: one work-group (of one work-item) per MC x NC block of C. The kernel splits
     * M and N evenly over whatever grid it gets (in steps of 8 rows and 32 columns), so the grid
     * only affects speed: an odd number of work-groups is made even when the shape allows, so two
     * compute units share the work instead of one idling.
     */
    long[] global(int m, int n) {
        long gn = (n + nc - 1) / nc;
        long gm = (m + mc - 1) / mc;
        if (device.info().computeUnits() > 1 && (gn * gm) % 2 == 1) {
            if (m > gm * 8) {
                gm++;
            } else if (n > gn * 32) {
                gn++;
            }
        }
        return new long[] {gn, gm};
    }

    public static OpCost cost(int m, int n, int k, boolean readC) {
        return OpCost.of(2.0 * m * n * k, 4.0 * ((double) m * k + (double) k * n + (readC ? 2.0 : 1.0) * m * n));
    }

    @Override
    public void close() {
        noBias.close();
    }
}
