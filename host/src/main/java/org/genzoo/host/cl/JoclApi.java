package org.genzoo.host.cl;

import static org.jocl.CL.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

/** {@link ClApi} on JOCL (org.jocl:jocl). JOCL's own exceptions are off; we check every status. */
public final class JoclApi implements ClApi {

    public JoclApi() {
        try {
            CL.setExceptionsEnabled(false);
        } catch (LinkageError e) {
            throw new ClUnavailableException("JOCL could not load the OpenCL library (" + e.getMessage() + "); "
                    + ClUnavailableException.INSTALL_HINT, e);
        }
    }

    @Override
    public String name() {
        return "jocl";
    }

    private static void check(String call, int status) {
        if (status != CL_SUCCESS) {
            throw new ClException(call, status);
        }
    }

    @Override
    public List<ClDeviceInfo> devices() {
        int[] count = new int[1];
        int st;
        try {
            st = clGetPlatformIDs(0, null, count);
        } catch (LinkageError | CLException e) {
            throw new ClUnavailableException(ClUnavailableException.INSTALL_HINT + " (" + e.getMessage() + ")", e);
        }
        if (st == -1001 || count[0] == 0) {
            return List.of();
        }
        check("clGetPlatformIDs", st);
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        check("clGetPlatformIDs", clGetPlatformIDs(platforms.length, platforms, null));
        List<ClDeviceInfo> out = new ArrayList<>();
        for (int p = 0; p < platforms.length; p++) {
            String pname = platformString(platforms[p], CL_PLATFORM_NAME);
            String pversion = platformString(platforms[p], CL_PLATFORM_VERSION);
            int[] ndev = new int[1];
            int s = clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, null, ndev);
            if (s == CL_DEVICE_NOT_FOUND || ndev[0] == 0) {
                continue;
            }
            check("clGetDeviceIDs", s);
            cl_device_id[] devs = new cl_device_id[ndev[0]];
            check("clGetDeviceIDs", clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, devs.length, devs, null));
            for (int d = 0; d < devs.length; d++) {
                cl_device_id dev = devs[d];
                long type = deviceLong(dev, CL_DEVICE_TYPE);
                String ext = deviceString(dev, CL_DEVICE_EXTENSIONS);
                long fpConfig = deviceLong(dev, CL_DEVICE_DOUBLE_FP_CONFIG);
                out.add(new ClDeviceInfo(p, d, pname, pversion,
                        deviceString(dev, CL_DEVICE_NAME).trim(),
                        deviceString(dev, CL_DEVICE_VENDOR).trim(),
                        ClDeviceTypes.name(type),
                        deviceString(dev, CL_DRIVER_VERSION).trim(),
                        deviceString(dev, CL_DEVICE_VERSION).trim(),
                        deviceString(dev, CL_DEVICE_OPENCL_C_VERSION).trim(),
                        (int) deviceInt(dev, CL_DEVICE_MAX_COMPUTE_UNITS),
                        (int) deviceInt(dev, CL_DEVICE_MAX_CLOCK_FREQUENCY),
                        deviceLong(dev, CL_DEVICE_GLOBAL_MEM_SIZE),
                        deviceLong(dev, CL_DEVICE_LOCAL_MEM_SIZE),
                        deviceSizeT(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE),
                        deviceLong(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                        fpConfig != 0 || ext.contains("cl_khr_fp64"),
                        dev));
            }
        }
        return out;
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        check("clGetPlatformInfo", clGetPlatformInfo(p, param, 0, null, size));
        byte[] b = new byte[(int) size[0]];
        check("clGetPlatformInfo", clGetPlatformInfo(p, param, b.length, Pointer.to(b), null));
        return cString(b);
    }

    private static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        check("clGetDeviceInfo", clGetDeviceInfo(d, param, 0, null, size));
        byte[] b = new byte[(int) size[0]];
        check("clGetDeviceInfo", clGetDeviceInfo(d, param, b.length, Pointer.to(b), null));
        return cString(b);
    }

    private static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        int st = clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null);
        if (st == CL_INVALID_VALUE) {
            return 0; // e.g. CL_DEVICE_DOUBLE_FP_CONFIG on a device without fp64
        }
        check("clGetDeviceInfo", st);
        return v[0];
    }

    private static long deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        check("clGetDeviceInfo", clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null));
        return v[0] & 0xffffffffL;
    }

    private static long deviceSizeT(cl_device_id d, int param) {
        long[] v = new long[1];
        check("clGetDeviceInfo", clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null));
        return v[0];
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    @Override
    public Object createContext(ClDeviceInfo device) {
        int[] err = new int[1];
        cl_context ctx = clCreateContext(null, 1, new cl_device_id[] {(cl_device_id) device.handle()}, null, null, err);
        check("clCreateContext", err[0]);
        return ctx;
    }

    @Override
    @SuppressWarnings("deprecation")
    public Object createQueue(Object context, ClDeviceInfo device, boolean profiling) {
        int[] err = new int[1];
        cl_command_queue q = clCreateCommandQueue((cl_context) context, (cl_device_id) device.handle(),
                profiling ? CL_QUEUE_PROFILING_ENABLE : 0, err);
        check("clCreateCommandQueue", err[0]);
        return q;
    }

    @Override
    public Object createBuffer(Object context, long bytes) {
        int[] err = new int[1];
        cl_mem m = clCreateBuffer((cl_context) context, CL_MEM_READ_WRITE, bytes, null, err);
        check("clCreateBuffer", err[0]);
        return m;
    }

    @Override
    public void writeBuffer(Object queue, Object buffer, long offsetBytes, ByteBuffer src, boolean blocking) {
        check("clEnqueueWriteBuffer", clEnqueueWriteBuffer((cl_command_queue) queue, (cl_mem) buffer, blocking,
                offsetBytes, src.limit(), Pointer.to(src), 0, null, null));
    }

    @Override
    public void readBuffer(Object queue, Object buffer, long offsetBytes, ByteBuffer dst, boolean blocking) {
        check("clEnqueueReadBuffer", clEnqueueReadBuffer((cl_command_queue) queue, (cl_mem) buffer, blocking,
                offsetBytes, dst.limit(), Pointer.to(dst), 0, null, null));
    }

    @Override
    public void copyBuffer(Object queue, Object src, long srcOffsetBytes, Object dst, long dstOffsetBytes, long bytes) {
        check("clEnqueueCopyBuffer", clEnqueueCopyBuffer((cl_command_queue) queue, (cl_mem) src, (cl_mem) dst,
                srcOffsetBytes, dstOffsetBytes, bytes, 0, null, null));
    }

    @Override
    public Object createProgramFromSource(Object context, String source) {
        int[] err = new int[1];
        cl_program p = clCreateProgramWithSource((cl_context) context, 1, new String[] {source}, null, err);
        check("clCreateProgramWithSource", err[0]);
        return p;
    }

    @Override
    public Object createProgramFromBinary(Object context, ClDeviceInfo device, byte[] binary) {
        int[] err = new int[1];
        int[] status = new int[1];
        cl_program p = clCreateProgramWithBinary((cl_context) context, 1, new cl_device_id[] {(cl_device_id) device.handle()},
                new long[] {binary.length}, new byte[][] {binary}, status, err);
        check("clCreateProgramWithBinary", err[0]);
        if (status[0] != CL_SUCCESS) {
            clReleaseProgram(p);
            throw new ClException("clCreateProgramWithBinary", status[0]);
        }
        return p;
    }

    @Override
    public void buildProgram(Object program, ClDeviceInfo device, String options) {
        check("clBuildProgram", clBuildProgram((cl_program) program, 1, new cl_device_id[] {(cl_device_id) device.handle()},
                options, null, null));
    }

    @Override
    public String buildLog(Object program, ClDeviceInfo device) {
        long[] size = new long[1];
        cl_device_id dev = (cl_device_id) device.handle();
        check("clGetProgramBuildInfo", clGetProgramBuildInfo((cl_program) program, dev, CL_PROGRAM_BUILD_LOG, 0, null, size));
        byte[] b = new byte[(int) size[0]];
        check("clGetProgramBuildInfo", clGetProgramBuildInfo((cl_program) program, dev, CL_PROGRAM_BUILD_LOG, b.length,
                Pointer.to(b), null));
        return cString(b);
    }

    @Override
    public byte[] programBinary(Object program) {
        long[] sizes = new long[1];
        check("clGetProgramInfo", clGetProgramInfo((cl_program) program, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t,
                Pointer.to(sizes), null));
        byte[] bin = new byte[(int) sizes[0]];
        Pointer binPtr = Pointer.to(bin);
        check("clGetProgramInfo", clGetProgramInfo((cl_program) program, CL_PROGRAM_BINARIES, Sizeof.POINTER,
                Pointer.to(binPtr), null));
        return bin;
    }

    @Override
    public long[] maxWorkItemSizes(ClDeviceInfo device) {
        cl_device_id dev = (cl_device_id) device.handle();
        int dims = (int) deviceInt(dev, ClKernelInfo.CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS);
        long[] v = new long[dims];
        check("clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_SIZES)", clGetDeviceInfo(dev, ClKernelInfo.CL_DEVICE_MAX_WORK_ITEM_SIZES,
                (long) Sizeof.size_t * dims, Pointer.to(v), null));
        return v;
    }

    @Override
    public ClKernelInfo kernelInfo(Object kernel, ClDeviceInfo device) {
        cl_kernel k = (cl_kernel) kernel;
        cl_device_id dev = (cl_device_id) device.handle();
        return new ClKernelInfo(kernelSizeT(k, dev, ClKernelInfo.CL_KERNEL_WORK_GROUP_SIZE),
                kernelSizeT(k, dev, ClKernelInfo.CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE),
                kernelULong(k, dev, ClKernelInfo.CL_KERNEL_LOCAL_MEM_SIZE),
                kernelULong(k, dev, ClKernelInfo.CL_KERNEL_PRIVATE_MEM_SIZE));
    }

    private static long kernelSizeT(cl_kernel k, cl_device_id dev, int param) {
        long[] v = new long[1];
        check("clGetKernelWorkGroupInfo", clGetKernelWorkGroupInfo(k, dev, param, Sizeof.size_t, Pointer.to(v), null));
        return v[0];
    }

    private static long kernelULong(cl_kernel k, cl_device_id dev, int param) {
        long[] v = new long[1];
        check("clGetKernelWorkGroupInfo", clGetKernelWorkGroupInfo(k, dev, param, Sizeof.cl_ulong, Pointer.to(v), null));
        return v[0];
    }

    @Override
    public Object createKernel(Object program, String name) {
        int[] err = new int[1];
        cl_kernel k = clCreateKernel((cl_program) program, name, err);
        check("clCreateKernel(" + name + ")", err[0]);
        return k;
    }

    @Override
    public void setArgBuffer(Object kernel, int index, Object buffer) {
        if (!(buffer instanceof cl_mem m)) {
            throw new ClException("clSetKernelArg(" + index + ")", CL_INVALID_MEM_OBJECT, "not a buffer of this binding");
        }
        check("clSetKernelArg(" + index + ")", clSetKernelArg((cl_kernel) kernel, index, Sizeof.cl_mem, Pointer.to(m)));
    }

    @Override
    public void setArgInt(Object kernel, int index, int value) {
        check("clSetKernelArg(" + index + ")", clSetKernelArg((cl_kernel) kernel, index, Sizeof.cl_int, Pointer.to(new int[] {value})));
    }

    @Override
    public void setArgLong(Object kernel, int index, long value) {
        check("clSetKernelArg(" + index + ")", clSetKernelArg((cl_kernel) kernel, index, Sizeof.cl_long, Pointer.to(new long[] {value})));
    }

    @Override
    public void setArgFloat(Object kernel, int index, float value) {
        check("clSetKernelArg(" + index + ")", clSetKernelArg((cl_kernel) kernel, index, Sizeof.cl_float, Pointer.to(new float[] {value})));
    }

    @Override
    public void setArgLocal(Object kernel, int index, long bytes) {
        check("clSetKernelArg(" + index + ")", clSetKernelArg((cl_kernel) kernel, index, bytes, null));
    }

    @Override
    public Object enqueueKernel(Object queue, Object kernel, long[] global, long[] local, boolean wantEvent) {
        cl_event ev = wantEvent ? new cl_event() : null;
        check("clEnqueueNDRangeKernel", clEnqueueNDRangeKernel((cl_command_queue) queue, (cl_kernel) kernel, global.length,
                null, global, local, 0, null, ev));
        return ev;
    }

    @Override
    public void waitForEvent(Object event) {
        check("clWaitForEvents", clWaitForEvents(1, new cl_event[] {(cl_event) event}));
    }

    @Override
    public long[] eventProfile(Object event) {
        cl_event ev = (cl_event) event;
        int[] params = {CL_PROFILING_COMMAND_QUEUED, CL_PROFILING_COMMAND_SUBMIT, CL_PROFILING_COMMAND_START, CL_PROFILING_COMMAND_END};
        long[] out = new long[4];
        long[] v = new long[1];
        for (int i = 0; i < 4; i++) {
            check("clGetEventProfilingInfo", clGetEventProfilingInfo(ev, params[i], Sizeof.cl_ulong, Pointer.to(v), null));
            out[i] = v[0];
        }
        return out;
    }

    @Override
    public void flush(Object queue) {
        check("clFlush", clFlush((cl_command_queue) queue));
    }

    @Override
    public void finish(Object queue) {
        check("clFinish", clFinish((cl_command_queue) queue));
    }

    @Override
    public void release(Object handle) {
        if (handle instanceof cl_mem m) {
            check("clReleaseMemObject", clReleaseMemObject(m));
        } else if (handle instanceof cl_kernel k) {
            check("clReleaseKernel", clReleaseKernel(k));
        } else if (handle instanceof cl_program p) {
            check("clReleaseProgram", clReleaseProgram(p));
        } else if (handle instanceof cl_event e) {
            check("clReleaseEvent", clReleaseEvent(e));
        } else if (handle instanceof cl_command_queue q) {
            check("clReleaseCommandQueue", clReleaseCommandQueue(q));
        } else if (handle instanceof cl_context c) {
            check("clReleaseContext", clReleaseContext(c));
        } else if (handle != null) {
            throw new IllegalArgumentException("not a JOCL handle: " + handle.getClass().getName());
        }
    }
}
