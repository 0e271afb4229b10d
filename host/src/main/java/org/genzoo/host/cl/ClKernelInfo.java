package org.genzoo.host.cl;

/**
 * Per-kernel limits on one device (clGetKernelWorkGroupInfo).
 *
 * @param workGroupSize CL_KERNEL_WORK_GROUP_SIZE: the most work-items one work-group of this kernel may hold
 * @param preferredMultiple CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE: the SIMD width the device runs it at
 * @param localMemBytes CL_KERNEL_LOCAL_MEM_SIZE: static {@code __local} use plus the local arguments set so far
 * @param privateMemBytes CL_KERNEL_PRIVATE_MEM_SIZE: per work-item private memory
 */
public record ClKernelInfo(long workGroupSize, long preferredMultiple, long localMemBytes, long privateMemBytes) {
    /** The clGetKernelWorkGroupInfo parameter names (OpenCL 1.1 values, shared by both bindings). */
    static final int CL_KERNEL_WORK_GROUP_SIZE = 0x11B0;
    static final int CL_KERNEL_LOCAL_MEM_SIZE = 0x11B2;
    static final int CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE = 0x11B3;
    static final int CL_KERNEL_PRIVATE_MEM_SIZE = 0x11B4;
    static final int CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS = 0x1003;
    static final int CL_DEVICE_MAX_WORK_ITEM_SIZES = 0x1005;
}
