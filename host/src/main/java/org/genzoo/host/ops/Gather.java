package org.genzoo.host.ops;

import org.genzoo.host.Device;
import org.genzoo.host.DeviceBuffer;
import org.genzoo.host.Kernel;
import org.genzoo.host.tensor.Tensor;

/** Row gather by a device index buffer, and column concat/split through views (kernels/tensor.cl). */
public final class Gather {
    private final Device device;

    public Gather(Device device) {
        this.device = device;
    }

    /**
     * y[r, :] = x[idx[idxOff + r], :] for r < y.rows(). Indices must lie in [0, x.rows()): the
     * caller guarantees it (they come from a shuffled permutation of the dataset's rows).
     */
    public void rows(Tensor y, Tensor x, DeviceBuffer idx, int idxOff) {
        if (y.cols() != x.cols()) {
            throw new IllegalArgumentException("gather: y has " + y.cols() + " columns, x has " + x.cols());
        }
        if (idxOff < 0 || idxOff + y.rows() > idx.floats()) {
            throw new IndexOutOfBoundsException("gather: indices [" + idxOff + ", " + (idxOff + y.rows()) + ") outside "
                    + idx.floats());
        }
        if (y.size() == 0) {
            return;
        }
        Kernel k = device.kernel("tensor.cl", "gather_rows").args(y, y.offset(), y.ld(), x, x.offset(), x.ld(), idx, idxOff,
                y.rows(), y.cols());
        device.launch(k, new long[] {y.cols(), y.rows()}, Tensor.localFor(device, y.rows(), y.cols()));
    }

    public static OpCost rowsCost(int rows, int cols) {
        return OpCost.of(0, 8.0 * rows * cols + 4.0 * rows);
    }

    /** out = [a | b] along columns. Its backward is a split: da = dOut.cols(0, a), db = dOut.cols(a, a+b). */
    public static void concatCols(Tensor out, Tensor a, Tensor b) {
        if (out.rows() != a.rows() || out.rows() != b.rows() || out.cols() != a.cols() + b.cols()) {
            throw new IllegalArgumentException("concat: " + a.shape() + " | " + b.shape() + " does not fit " + out.shape());
        }
        out.cols(0, a.cols()).copyFrom(a);
        out.cols(a.cols(), out.cols()).copyFrom(b);
    }
}
