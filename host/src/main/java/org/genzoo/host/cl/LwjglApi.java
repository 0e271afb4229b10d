package org.genzoo.host.cl;

import static org.lwjgl.opencl.CL10.*;
import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.system.MemoryUtil.memAddress;
import static org.lwjgl.system.MemoryUtil.memUTF8;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.PointerBuffer;
import org.lwjgl.opencl.CL;
import org.lwjgl.system.MemoryStack;

/** {@link ClApi} on LWJGL 3 (org.lwjgl:lwjgl-opencl). Raw handles are wrapped so release() knows their kind. */
public final class LwjglApi implements ClApi {

    private record Dev(long platform, long id) {
    }

    private record Ctx(long h) {
    }

    private record Queue(long h) {
    }

    private record Mem(long h) {
    }

    private record Prog(long h) {
    }

    private record Kern(long h) {
    }

    private record Event(long h) {
    }

    public LwjglApi() {
        try {
            CL.getFunctionProvider();
        } catch (LinkageError | IllegalStateException e) {
            throw new ClUnavailableException("LWJGL could not load the OpenCL library (" + e.getMessage() + "); "
                    + ClUnavailableException.INSTALL_HINT, e);
        }
    }

    @Override
    public String name() {
        return "lwjgl";
    }

    private static void check(String call, int status) {
        if (status != CL_SUCCESS) {
            throw new ClException(call, status);
        }
    }

    @Override
    public List<ClDeviceInfo> devices() {
        List<ClDeviceInfo> out = new ArrayList<>();
        try (MemoryStack stack = stackPush()) {
            IntBuffer n = stack.mallocInt(1);
            int st = clGetPlatformIDs(null, n);
            if (st == -1001 || n.get(0) == 0) {
                return out;
            }
            check("clGetPlatformIDs", st);
            PointerBuffer platforms = stack.mallocPointer(n.get(0));
            check("clGetPlatformIDs", clGetPlatformIDs(platforms, (IntBuffer) null));
            for (int p = 0; p < platforms.capacity(); p++) {
                long platform = platforms.get(p);
                String pname = platformString(platform, CL_PLATFORM_NAME);
                String pversion = platformString(platform, CL_PLATFORM_VERSION);
                IntBuffer nd = stack.mallocInt(1);
                int s = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, null, nd);
                if (s == CL_DEVICE_NOT_FOUND || nd.get(0) == 0) {
                    continue;
                }
                check("clGetDeviceIDs", s);
                PointerBuffer devs = stack.mallocPointer(nd.get(0));
                check("clGetDeviceIDs", clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, devs, (IntBuffer) null));
                for (int d = 0; d < devs.capacity(); d++) {
                    long dev = devs.get(d);
                    String ext = deviceString(dev, CL_DEVICE_EXTENSIONS);
                    long fp = deviceLong(dev, 0x1032 /* CL_DEVICE_DOUBLE_FP_CONFIG */);
                    out.add(new ClDeviceInfo(p, d, pname, pversion,
                            deviceString(dev, CL_DEVICE_NAME).trim(),
                            deviceString(dev, CL_DEVICE_VENDOR).trim(),
                            ClDeviceTypes.name(deviceLong(dev, CL_DEVICE_TYPE)),
                            deviceString(dev, CL_DRIVER_VERSION).trim(),
                            deviceString(dev, CL_DEVICE_VERSION).trim(),
                            deviceString(dev, 0x103D /* CL_DEVICE_OPENCL_C_VERSION */).trim(),
                            deviceInt(dev, CL_DEVICE_MAX_COMPUTE_UNITS),
                            deviceInt(dev, CL_DEVICE_MAX_CLOCK_FREQUENCY),
                            deviceLong(dev, CL_DEVICE_GLOBAL_MEM_SIZE),
                            deviceLong(dev, CL_DEVICE_LOCAL_MEM_SIZE),
                            deviceSizeT(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE),
                            deviceLong(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                            fp != 0 || ext.contains("cl_khr_fp64"),
                            new Dev(platform, dev)));
                }
            }
        } catch (LinkageError e) {
            throw new ClUnavailableException(ClUnavailableException.INSTALL_HINT + " (" + e.getMessage() + ")", e);
        }
        return out;
    }

    private static String platformString(long platform, int param) {
        try (MemoryStack stack = stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            check("clGetPlatformInfo", clGetPlatformInfo(platform, param, (ByteBuffer) null, size));
            ByteBuffer b = stack.malloc((int) size.get(0));
            check("clGetPlatformInfo", clGetPlatformInfo(platform, param, b, null));
            return memUTF8(b, (int) Math.max(0, size.get(0) - 1));
        }
    }

    private static String deviceString(long dev, int param) {
        try (MemoryStack stack = stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            check("clGetDeviceInfo", clGetDeviceInfo(dev, param, (ByteBuffer) null, size));
            ByteBuffer b = org.lwjgl.system.MemoryUtil.memAlloc((int) size.get(0));
            try {
                check("clGetDeviceInfo", clGetDeviceInfo(dev, param, b, null));
                return memUTF8(b, (int) Math.max(0, size.get(0) - 1));
            } finally {
                org.lwjgl.system.MemoryUtil.memFree(b);
            }
        }
    }

    private static long deviceLong(long dev, int param) {
        try (MemoryStack stack = stackPush()) {
            LongBuffer v = stack.mallocLong(1);
            int st = clGetDeviceInfo(dev, param, v, null);
            if (st == CL_INVALID_VALUE) {
                return 0;
            }
            check("clGetDeviceInfo", st);
            return v.get(0);
        }
    }

    private static int deviceInt(long dev, int param) {
        try (MemoryStack stack = stackPush()) {
            IntBuffer v = stack.mallocInt(1);
            check("clGetDeviceInfo", clGetDeviceInfo(dev, param, v, null));
            return v.get(0);
        }
    }

    private static long deviceSizeT(long dev, int param) {
        try (MemoryStack stack = stackPush()) {
            PointerBuffer v = stack.mallocPointer(1);
            check("clGetDeviceInfo", clGetDeviceInfo(dev, param, v, null));
            return v.get(0);
        }
    }

    private static Dev dev(ClDeviceInfo info) {
        return (Dev) info.handle();
    }

    @Override
    public Object createContext(ClDeviceInfo device) {
        try (MemoryStack stack = stackPush()) {
            PointerBuffer props = stack.mallocPointer(3);
            props.put(0, CL_CONTEXT_PLATFORM).put(1, dev(device).platform()).put(2, 0);
            IntBuffer err = stack.mallocInt(1);
            long ctx = clCreateContext(props, dev(device).id(), null, 0, err);
            check("clCreateContext", err.get(0));
            return new Ctx(ctx);
        }
    }

    @Override
    public Object createQueue(Object context, ClDeviceInfo device, boolean profiling) {
        try (MemoryStack stack = stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long q = clCreateCommandQueue(((Ctx) context).h(), dev(device).id(), profiling ? CL_QUEUE_PROFILING_ENABLE : 0, err);
            check("clCreateCommandQueue", err.get(0));
            return new Queue(q);
        }
    }

    @Override
    public Object createBuffer(Object context, long bytes) {
        try (MemoryStack stack = stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long m = clCreateBuffer(((Ctx) context).h(), CL_MEM_READ_WRITE, bytes, err);
            check("clCreateBuffer", err.get(0));
            return new Mem(m);
        }
    }

    @Override
    public void writeBuffer(Object queue, Object buffer, long offsetBytes, ByteBuffer src, boolean blocking) {
        check("clEnqueueWriteBuffer", clEnqueueWriteBuffer(((Queue) queue).h(), ((Mem) buffer).h(), blocking, offsetBytes,
                src.duplicate().position(0), null, null));
    }

    @Override
    public void readBuffer(Object queue, Object buffer, long offsetBytes, ByteBuffer dst, boolean blocking) {
        check("clEnqueueReadBuffer", clEnqueueReadBuffer(((Queue) queue).h(), ((Mem) buffer).h(), blocking, offsetBytes,
                dst.duplicate().position(0), null, null));
    }

    @Override
    public void copyBuffer(Object queue, Object src, long srcOffsetBytes, Object dst, long dstOffsetBytes, long bytes) {
        check("clEnqueueCopyBuffer", clEnqueueCopyBuffer(((Queue) queue).h(), ((Mem) src).h(), ((Mem) dst).h(),
                srcOffsetBytes, dstOffsetBytes, bytes, null, null));
    }

    @Override
    public Object createProgramFromSource(Object context, String source) {
        try (MemoryStack stack = stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long p = clCreateProgramWithSource(((Ctx) context).h(), source, err);
            check("clCreateProgramWithSource", err.get(0));
            return new Prog(p);
        }
    }

    @Override
    public Object createProgramFromBinary(Object context, ClDeviceInfo device, byte[] binary) {
        ByteBuffer bin = org.lwjgl.system.MemoryUtil.memAlloc(binary.length);
        try (MemoryStack stack = stackPush()) {
            bin.put(binary).flip();
            IntBuffer err = stack.mallocInt(1);
            IntBuffer status = stack.mallocInt(1);
            PointerBuffer devs = stack.mallocPointer(1).put(0, dev(device).id());
            long p = clCreateProgramWithBinary(((Ctx) context).h(), devs, bin, status, err);
            check("clCreateProgramWithBinary", err.get(0));
            if (status.get(0) != CL_SUCCESS) {
                clReleaseProgram(p);
                throw new ClException("clCreateProgramWithBinary", status.get(0));
            }
            return new Prog(p);
        } finally {
            org.lwjgl.system.MemoryUtil.memFree(bin);
        }
    }

    @Override
    public void buildProgram(Object program, ClDeviceInfo device, String options) {
        check("clBuildProgram", clBuildProgram(((Prog) program).h(), dev(device).id(), options, null, 0));
    }

    @Override
    public String buildLog(Object program, ClDeviceInfo device) {
        long p = ((Prog) program).h();
        try (MemoryStack stack = stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            check("clGetProgramBuildInfo", clGetProgramBuildInfo(p, dev(device).id(), CL_PROGRAM_BUILD_LOG, (ByteBuffer) null, size));
            ByteBuffer b = org.lwjgl.system.MemoryUtil.memAlloc((int) Math.max(1, size.get(0)));
            try {
                check("clGetProgramBuildInfo", clGetProgramBuildInfo(p, dev(device).id(), CL_PROGRAM_BUILD_LOG, b, null));
                return memUTF8(b, (int) Math.max(0, size.get(0) - 1));
            } finally {
                org.lwjgl.system.MemoryUtil.memFree(b);
            }
        }
    }

    @Override
    public byte[] programBinary(Object program) {
        long p = ((Prog) program).h();
        try (MemoryStack stack = stackPush()) {
            PointerBuffer sizes = stack.mallocPointer(1);
            check("clGetProgramInfo", clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizes, null));
            int n = (int) sizes.get(0);
            ByteBuffer bin = org.lwjgl.system.MemoryUtil.memAlloc(Math.max(1, n));
            try {
                PointerBuffer ptrs = stack.mallocPointer(1).put(0, memAddress(bin));
                check("clGetProgramInfo", clGetProgramInfo(p, CL_PROGRAM_BINARIES, ptrs, null));
                byte[] out = new byte[n];
                bin.get(out, 0, n);
                return out;
            } finally {
                org.lwjgl.system.MemoryUtil.memFree(bin);
            }
        }
    }

    @Override
    public long[] maxWorkItemSizes(ClDeviceInfo device) {
        long id = dev(device).id();
        int dims = deviceInt(id, ClKernelInfo.CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS);
        try (MemoryStack stack = stackPush()) {
            PointerBuffer v = stack.mallocPointer(dims);
            check("clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_SIZES)", clGetDeviceInfo(id, ClKernelInfo.CL_DEVICE_MAX_WORK_ITEM_SIZES, v, null));
            long[] out = new long[dims];
            for (int i = 0; i < dims; i++) {
                out[i] = v.get(i);
            }
            return out;
        }
    }

    @Override
    public ClKernelInfo kernelInfo(Object kernel, ClDeviceInfo device) {
        long k = ((Kern) kernel).h();
        long id = dev(device).id();
        try (MemoryStack stack = stackPush()) {
            PointerBuffer p = stack.mallocPointer(1);
            LongBuffer l = stack.mallocLong(1);
            check("clGetKernelWorkGroupInfo", clGetKernelWorkGroupInfo(k, id, ClKernelInfo.CL_KERNEL_WORK_GROUP_SIZE, p, null));
            long wg = p.get(0);
            check("clGetKernelWorkGroupInfo", clGetKernelWorkGroupInfo(k, id, ClKernelInfo.CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, p, null));
            long mult = p.get(0);
            check("clGetKernelWorkGroupInfo", clGetKernelWorkGroupInfo(k, id, ClKernelInfo.CL_KERNEL_LOCAL_MEM_SIZE, l, null));
            long local = l.get(0);
            check("clGetKernelWorkGroupInfo", clGetKernelWorkGroupInfo(k, id, ClKernelInfo.CL_KERNEL_PRIVATE_MEM_SIZE, l, null));
            return new ClKernelInfo(wg, mult, local, l.get(0));
        }
    }

    @Override
    public Object createKernel(Object program, String name) {
        try (MemoryStack stack = stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long k = clCreateKernel(((Prog) program).h(), name, err);
            check("clCreateKernel(" + name + ")", err.get(0));
            return new Kern(k);
        }
    }

    @Override
    public void setArgBuffer(Object kernel, int index, Object buffer) {
        if (!(buffer instanceof Mem m)) {
            throw new ClException("clSetKernelArg(" + index + ")", CL_INVALID_MEM_OBJECT, "not a buffer of this binding");
        }
        check("clSetKernelArg(" + index + ")", clSetKernelArg1p(((Kern) kernel).h(), index, m.h()));
    }

    @Override
    public void setArgInt(Object kernel, int index, int value) {
        check("clSetKernelArg(" + index + ")", clSetKernelArg1i(((Kern) kernel).h(), index, value));
    }

    @Override
    public void setArgLong(Object kernel, int index, long value) {
        check("clSetKernelArg(" + index + ")", clSetKernelArg1l(((Kern) kernel).h(), index, value));
    }

    @Override
    public void setArgFloat(Object kernel, int index, float value) {
        check("clSetKernelArg(" + index + ")", clSetKernelArg1f(((Kern) kernel).h(), index, value));
    }

    @Override
    public void setArgLocal(Object kernel, int index, long bytes) {
        check("clSetKernelArg(" + index + ")", clSetKernelArg(((Kern) kernel).h(), index, bytes));
    }

    @Override
    public Object enqueueKernel(Object queue, Object kernel, long[] global, long[] local, boolean wantEvent) {
        try (MemoryStack stack = stackPush()) {
            PointerBuffer g = stack.mallocPointer(global.length);
            for (int i = 0; i < global.length; i++) {
                g.put(i, global[i]);
            }
            PointerBuffer l = null;
            if (local != null) {
                l = stack.mallocPointer(local.length);
                for (int i = 0; i < local.length; i++) {
                    l.put(i, local[i]);
                }
            }
            PointerBuffer ev = wantEvent ? stack.mallocPointer(1) : null;
            check("clEnqueueNDRangeKernel", clEnqueueNDRangeKernel(((Queue) queue).h(), ((Kern) kernel).h(), global.length,
                    null, g, l, null, ev));
            return wantEvent ? new Event(ev.get(0)) : null;
        }
    }

    @Override
    public void waitForEvent(Object event) {
        try (MemoryStack stack = stackPush()) {
            check("clWaitForEvents", clWaitForEvents(stack.mallocPointer(1).put(0, ((Event) event).h())));
        }
    }

    @Override
    public long[] eventProfile(Object event) {
        long e = ((Event) event).h();
        int[] params = {CL_PROFILING_COMMAND_QUEUED, CL_PROFILING_COMMAND_SUBMIT, CL_PROFILING_COMMAND_START, CL_PROFILING_COMMAND_END};
        long[] out = new long[4];
        try (MemoryStack stack = stackPush()) {
            LongBuffer v = stack.mallocLong(1);
            for (int i = 0; i < 4; i++) {
                check("clGetEventProfilingInfo", clGetEventProfilingInfo(e, params[i], v, null));
                out[i] = v.get(0);
            }
        }
        return out;
    }

    @Override
    public void flush(Object queue) {
        check("clFlush", clFlush(((Queue) queue).h()));
    }

    @Override
    public void finish(Object queue) {
        check("clFinish", clFinish(((Queue) queue).h()));
    }

    @Override
    public void release(Object handle) {
        if (handle instanceof Mem m) {
            check("clReleaseMemObject", clReleaseMemObject(m.h()));
        } else if (handle instanceof Kern k) {
            check("clReleaseKernel", clReleaseKernel(k.h()));
        } else if (handle instanceof Prog p) {
            check("clReleaseProgram", clReleaseProgram(p.h()));
        } else if (handle instanceof Event e) {
            check("clReleaseEvent", clReleaseEvent(e.h()));
        } else if (handle instanceof Queue q) {
            check("clReleaseCommandQueue", clReleaseCommandQueue(q.h()));
        } else if (handle instanceof Ctx c) {
            check("clReleaseContext", clReleaseContext(c.h()));
        } else if (handle != null) {
            throw new IllegalArgumentException("not an LWJGL handle: " + handle.getClass().getName());
        }
    }
}
