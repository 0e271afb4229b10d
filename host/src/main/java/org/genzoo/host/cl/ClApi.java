package org.genzoo.host.cl;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Our own small OpenCL binding interface. Two implementations exist (JOCL and LWJGL); nothing
 * outside {@code org.genzoo.host.cl} sees a binding type.
 *
 * <p>Handles (context, queue, buffer, program, kernel, event) are opaque {@code Object}s owned by
 * the binding that made them; pass them back only to that binding. Every failing call throws
 * {@link ClException} naming the call and the CL_* status. Host byte buffers must be direct and are
 * used from position 0 to their limit.
 */
public interface ClApi {

    /** "jocl" or "lwjgl". */
    String name();

    /**
     * Every device of every platform. An empty list when the loader finds no platform.
     *
     * @throws ClUnavailableException when no OpenCL library can be loaded at all
     */
    List<ClDeviceInfo> devices();

    Object createContext(ClDeviceInfo device);

    /** In-order queue; with profiling when asked. */
    Object createQueue(Object context, ClDeviceInfo device, boolean profiling);

    Object createBuffer(Object context, long bytes);

    void writeBuffer(Object queue, Object buffer, long offsetBytes, ByteBuffer src, boolean blocking);

    void readBuffer(Object queue, Object buffer, long offsetBytes, ByteBuffer dst, boolean blocking);

    void copyBuffer(Object queue, Object src, long srcOffsetBytes, Object dst, long dstOffsetBytes, long bytes);

    Object createProgramFromSource(Object context, String source);

    /** Throws {@link ClException} (CL_INVALID_BINARY and friends) when the binary is not usable. */
    Object createProgramFromBinary(Object context, ClDeviceInfo device, byte[] binary);

    /** Throws {@link ClException} with CL_BUILD_PROGRAM_FAILURE; the caller then reads {@link #buildLog}. */
    void buildProgram(Object program, ClDeviceInfo device, String options);

    String buildLog(Object program, ClDeviceInfo device);

    /** The device binary of a program built for exactly one device. */
    byte[] programBinary(Object program);

    Object createKernel(Object program, String name);

    void setArgBuffer(Object kernel, int index, Object buffer);

    void setArgInt(Object kernel, int index, int value);

    void setArgLong(Object kernel, int index, long value);

    void setArgFloat(Object kernel, int index, float value);

    /** A __local buffer of the given size. */
    void setArgLocal(Object kernel, int index, long bytes);

    /**
     * Enqueues an NDRange. {@code local} may be null (the driver picks). Returns an event handle
     * when {@code wantEvent}, else null; the caller releases the event.
     */
    Object enqueueKernel(Object queue, Object kernel, long[] global, long[] local, boolean wantEvent);

    /** Blocks until the event completes. */
    void waitForEvent(Object event);

    /** Profiling counters in nanoseconds: {queued, submit, start, end}. Queue must profile. */
    long[] eventProfile(Object event);

    void flush(Object queue);

    void finish(Object queue);

    /** CL_DEVICE_MAX_WORK_ITEM_SIZES: the largest local size along each dimension (its length is the number of dimensions). */
    long[] maxWorkItemSizes(ClDeviceInfo device);

    /**
     * What the device says about one built kernel (clGetKernelWorkGroupInfo): the largest work-group
     * it can launch with, its preferred work-group size multiple, and the local and private memory it
     * uses. Local memory includes the {@code __local} arguments set so far.
     */
    ClKernelInfo kernelInfo(Object kernel, ClDeviceInfo device);

    /** Releases any handle made by this binding (context, queue, buffer, program, kernel, event). */
    void release(Object handle);
}
