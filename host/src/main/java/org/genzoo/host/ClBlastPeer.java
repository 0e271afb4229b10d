package org.genzoo.host;

import org.genzoo.host.cl.JoclApi;
import org.genzoo.host.tensor.Tensor;
import org.jocl.CL;
import org.jocl.blast.CLBlast;
import org.jocl.blast.CLBlastLayout;
import org.jocl.blast.CLBlastTranspose;
import org.jocl.cl_command_queue;
import org.jocl.cl_mem;

/**
 * CLBlast's SGEMM (org.jocl:jocl-blast) on our buffers and queue, as the side-by-side peer in
 * {@code genzoo bench kernels}. Only a device opened with the JOCL binding can run it.
 */
public final class ClBlastPeer {
    private ClBlastPeer() {
    }

    public static boolean supports(Device device) {
        return device.api() instanceof JoclApi;
    }

    /**
     * Runs C = alpha·op(A)·op(B) + beta·C with CLBlast and returns its time in ns. CLBlast may run
     * several kernels for one call (padding, transposes, then the product) and its event covers only
     * the last, so the time is the host clock from the call to the end of clFinish on an idle queue:
     * all of CLBlast's kernels plus one launch latency (about 17 us on PoCL).
     */
    public static long sgemm(Device device, Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha,
            float beta) {
        if (!supports(device)) {
            throw new IllegalStateException("CLBlast runs only on the JOCL binding; open the device with --binding jocl");
        }
        int m = c.rows();
        int n = c.cols();
        int k = transA ? a.rows() : a.cols();
        CLBlast.setExceptionsEnabled(false);
        cl_command_queue q = (cl_command_queue) device.queue();
        CL.clFinish(q);
        long t0 = System.nanoTime();
        int st = CLBlast.CLBlastSgemm(CLBlastLayout.CLBlastLayoutRowMajor,
                transA ? CLBlastTranspose.CLBlastTransposeYes : CLBlastTranspose.CLBlastTransposeNo,
                transB ? CLBlastTranspose.CLBlastTransposeYes : CLBlastTranspose.CLBlastTransposeNo,
                m, n, k, alpha,
                (cl_mem) a.buffer().handle(), a.offset(), a.ld(),
                (cl_mem) b.buffer().handle(), b.offset(), b.ld(), beta,
                (cl_mem) c.buffer().handle(), c.offset(), c.ld(),
                q, null);
        if (st != 0) {
            throw new IllegalStateException("CLBlastSgemm failed with status " + st);
        }
        CL.clFinish(q);
        return System.nanoTime() - t0;
    }
}
