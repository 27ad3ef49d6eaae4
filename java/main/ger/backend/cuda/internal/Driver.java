package ger.backend.cuda.internal;

import ger.backend.kernel.Launch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static ger.backend.cuda.internal.Binder.FLOAT;
import static ger.backend.cuda.internal.Binder.INT;
import static ger.backend.cuda.internal.Binder.LONG;
import static ger.backend.cuda.internal.Binder.PTR;
import static ger.backend.cuda.internal.NativeCall.call;
import static ger.backend.cuda.internal.NativeCall.out;
import static ger.backend.cuda.internal.NativeCall.outInt;
import static ger.backend.cuda.internal.NativeCall.outPointer;

/**
 * The CUDA driver API (libcuda.so.1), bound by the names it exports. Each method calls one function,
 * checks its status and returns what it writes; handles (CUcontext, CUstream, CUevent, CUmodule,
 * CUfunction) are opaque addresses, device pointers (CUdeviceptr) are longs.
 */
public final class Driver {
    private static Driver instance;

    private final MethodHandle cuInit;
    private final MethodHandle cuDriverGetVersion;
    private final MethodHandle cuDeviceGetCount;
    private final MethodHandle cuDeviceGet;
    private final MethodHandle cuDeviceGetName;
    private final MethodHandle cuDeviceGetAttribute;
    private final MethodHandle cuDevicePrimaryCtxRetain;
    private final MethodHandle cuDevicePrimaryCtxRelease;
    private final MethodHandle cuCtxSetCurrent;
    private final MethodHandle cuStreamCreate;
    private final MethodHandle cuStreamDestroy;
    private final MethodHandle cuStreamSynchronize;
    private final MethodHandle cuEventCreate;
    private final MethodHandle cuEventRecord;
    private final MethodHandle cuEventSynchronize;
    private final MethodHandle cuEventElapsedTime;
    private final MethodHandle cuEventDestroy;
    private final MethodHandle cuMemAllocAsync;
    private final MethodHandle cuMemGetInfo;
    private final MethodHandle cuMemFreeAsync;
    private final MethodHandle cuDeviceGetDefaultMemPool;
    private final MethodHandle cuMemPoolSetAttribute;
    private final MethodHandle cuMemPoolGetAttribute;
    private final MethodHandle cuOccupancyMaxActiveBlocksPerMultiprocessor;
    private final MethodHandle cuMemcpyHtoDAsync;
    private final MethodHandle cuMemcpyDtoHAsync;
    private final MethodHandle cuMemcpyDtoDAsync;
    private final MethodHandle cuMemsetD32Async;
    private final MethodHandle cuModuleLoadData;
    private final MethodHandle cuModuleUnload;
    private final MethodHandle cuModuleGetFunction;
    private final MethodHandle cuLaunchKernel;

    private Driver(Binder b) {
        cuInit = b.status("cuInit", INT);
        cuDriverGetVersion = b.status("cuDriverGetVersion", PTR);
        cuDeviceGetCount = b.status("cuDeviceGetCount", PTR);
        cuDeviceGet = b.status("cuDeviceGet", PTR, INT);
        cuDeviceGetName = b.status("cuDeviceGetName", PTR, INT, INT);
        cuDeviceGetAttribute = b.status("cuDeviceGetAttribute", PTR, INT, INT);
        cuOccupancyMaxActiveBlocksPerMultiprocessor = b.status("cuOccupancyMaxActiveBlocksPerMultiprocessor", PTR, PTR, INT, LONG);
        cuDevicePrimaryCtxRetain = b.status("cuDevicePrimaryCtxRetain", PTR, INT);
        cuDevicePrimaryCtxRelease = b.status("cuDevicePrimaryCtxRelease_v2", INT);
        cuCtxSetCurrent = b.status("cuCtxSetCurrent", PTR);
        cuStreamCreate = b.status("cuStreamCreate", PTR, INT);
        cuStreamDestroy = b.status("cuStreamDestroy_v2", PTR);
        cuStreamSynchronize = b.status("cuStreamSynchronize", PTR);
        cuEventCreate = b.status("cuEventCreate", PTR, INT);
        cuEventRecord = b.status("cuEventRecord", PTR, PTR);
        cuEventSynchronize = b.status("cuEventSynchronize", PTR);
        // CUDA 13 maps cuEventElapsedTime to cuEventElapsedTime_v2; CUDA 12 drivers export the first only
        cuEventElapsedTime = b.bind(java.lang.foreign.FunctionDescriptor.of(INT, PTR, PTR, PTR),
                "cuEventElapsedTime_v2", "cuEventElapsedTime");
        cuEventDestroy = b.status("cuEventDestroy_v2", PTR);
        cuMemAllocAsync = b.status("cuMemAllocAsync", PTR, LONG, PTR);
        cuMemGetInfo = b.status("cuMemGetInfo_v2", PTR, PTR);
        cuMemFreeAsync = b.status("cuMemFreeAsync", LONG, PTR);
        cuDeviceGetDefaultMemPool = b.status("cuDeviceGetDefaultMemPool", PTR, INT);
        cuMemPoolSetAttribute = b.status("cuMemPoolSetAttribute", PTR, INT, PTR);
        cuMemPoolGetAttribute = b.status("cuMemPoolGetAttribute", PTR, INT, PTR);
        cuMemcpyHtoDAsync = b.status("cuMemcpyHtoDAsync_v2", LONG, PTR, LONG, PTR);
        cuMemcpyDtoHAsync = b.status("cuMemcpyDtoHAsync_v2", PTR, LONG, LONG, PTR);
        cuMemcpyDtoDAsync = b.status("cuMemcpyDtoDAsync_v2", LONG, LONG, LONG, PTR);
        cuMemsetD32Async = b.status("cuMemsetD32Async", LONG, INT, LONG, PTR);
        cuModuleLoadData = b.status("cuModuleLoadData", PTR, PTR);
        cuModuleUnload = b.status("cuModuleUnload", PTR);
        cuModuleGetFunction = b.status("cuModuleGetFunction", PTR, PTR, PTR);
        cuLaunchKernel = b.status("cuLaunchKernel", PTR, INT, INT, INT, INT, INT, INT, INT, PTR, PTR, PTR);
    }

    /** The driver, bound on first use. @throws ger.backend.cuda.CudaException when libcuda cannot be loaded */
    public static synchronized Driver get() {
        if (instance == null) {
            instance = new Driver(new Binder(NativeLibraries.load(CudaLibrary.DRIVER)));
        }
        return instance;
    }

    /** {@code CUresult cuInit(unsigned int Flags)} */
    public void init() {
        call("cuInit", () -> (int) cuInit.invokeExact(0));
    }

    /** {@code CUresult cuDriverGetVersion(int *driverVersion)}: e.g. 13000 for CUDA 13.0. */
    public int driverVersion() {
        return outInt("cuDriverGetVersion", version -> (int) cuDriverGetVersion.invokeExact(version));
    }

    /** {@code CUresult cuMemGetInfo_v2(size_t *free, size_t *total)}: the free bytes of the current context's device. */
    public long freeMemory() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(LONG);
            MemorySegment total = arena.allocate(LONG);
            call("cuMemGetInfo_v2", () -> (int) cuMemGetInfo.invokeExact(free, total));
            return free.get(LONG, 0);
        }
    }

    /** {@code CUresult cuDeviceGetCount(int *count)} */
    public int deviceCount() {
        return outInt("cuDeviceGetCount", count -> (int) cuDeviceGetCount.invokeExact(count));
    }

    /** {@code CUresult cuDeviceGet(CUdevice *device, int ordinal)} */
    public int device(int ordinal) {
        return outInt("cuDeviceGet", device -> (int) cuDeviceGet.invokeExact(device, ordinal));
    }

    /** {@code CUresult cuDeviceGetName(char *name, int len, CUdevice dev)} */
    public String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            call("cuDeviceGetName", () -> (int) cuDeviceGetName.invokeExact(name, 256, device));
            return name.getString(0);
        }
    }

    /** CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR. */
    public static final int ATTRIBUTE_CC_MAJOR = 75;
    public static final int ATTRIBUTE_CC_MINOR = 76;
    /** CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT. */
    public static final int ATTRIBUTE_MULTIPROCESSORS = 16;

    /**
     * {@code CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int *numBlocks, CUfunction func,
     * int blockSize, size_t dynamicSMemSize)}: how many blocks of the kernel one SM holds at once.
     */
    public int residentBlocksPerMultiprocessor(MemorySegment function, int blockSize) {
        return outInt("cuOccupancyMaxActiveBlocksPerMultiprocessor",
                blocks -> (int) cuOccupancyMaxActiveBlocksPerMultiprocessor.invokeExact(blocks, function, blockSize, 0L));
    }

    /** {@code CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)} */
    public int deviceAttribute(int attribute, int device) {
        return outInt("cuDeviceGetAttribute", value -> (int) cuDeviceGetAttribute.invokeExact(value, attribute, device));
    }

    /** {@code CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)} */
    public MemorySegment primaryContextRetain(int device) {
        return outPointer("cuDevicePrimaryCtxRetain",
                context -> (int) cuDevicePrimaryCtxRetain.invokeExact(context, device));
    }

    /** {@code CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)} */
    public void primaryContextRelease(int device) {
        call("cuDevicePrimaryCtxRelease_v2", () -> (int) cuDevicePrimaryCtxRelease.invokeExact(device));
    }

    /** {@code CUresult cuCtxSetCurrent(CUcontext ctx)} */
    public void setCurrent(MemorySegment context) {
        call("cuCtxSetCurrent", () -> (int) cuCtxSetCurrent.invokeExact(context));
    }

    /** {@code CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags)} */
    public MemorySegment streamCreate(int flags) {
        return outPointer("cuStreamCreate", stream -> (int) cuStreamCreate.invokeExact(stream, flags));
    }

    /** {@code CUresult cuStreamDestroy_v2(CUstream hStream)} */
    public void streamDestroy(MemorySegment stream) {
        call("cuStreamDestroy_v2", () -> (int) cuStreamDestroy.invokeExact(stream));
    }

    /** {@code CUresult cuStreamSynchronize(CUstream hStream)} */
    public void streamSynchronize(MemorySegment stream) {
        call("cuStreamSynchronize", () -> (int) cuStreamSynchronize.invokeExact(stream));
    }

    /** {@code CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags)} */
    public MemorySegment eventCreate() {
        return outPointer("cuEventCreate", event -> (int) cuEventCreate.invokeExact(event, 0));
    }

    /** {@code CUresult cuEventRecord(CUevent hEvent, CUstream hStream)} */
    public void eventRecord(MemorySegment event, MemorySegment stream) {
        call("cuEventRecord", () -> (int) cuEventRecord.invokeExact(event, stream));
    }

    /** {@code CUresult cuEventSynchronize(CUevent hEvent)} */
    public void eventSynchronize(MemorySegment event) {
        call("cuEventSynchronize", () -> (int) cuEventSynchronize.invokeExact(event));
    }

    /** {@code CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd)} */
    public float eventElapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena arena = Arena.ofConfined()) {
            return out(arena, FLOAT, "cuEventElapsedTime_v2",
                    millis -> (int) cuEventElapsedTime.invokeExact(millis, start, end)).get(FLOAT, 0);
        }
    }

    /** {@code CUresult cuEventDestroy_v2(CUevent hEvent)} */
    public void eventDestroy(MemorySegment event) {
        call("cuEventDestroy_v2", () -> (int) cuEventDestroy.invokeExact(event));
    }

    /**
     * {@code CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)}: from the
     * device's default pool, ordered on the stream (usable by work queued after it on that stream).
     */
    public long memAllocAsync(long bytes, MemorySegment stream) {
        try (Arena arena = Arena.ofConfined()) {
            return out(arena, LONG, "cuMemAllocAsync",
                    pointer -> (int) cuMemAllocAsync.invokeExact(pointer, bytes, stream)).get(LONG, 0);
        }
    }

    /**
     * {@code CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream)}: freed once the work queued
     * before it on the stream is done, so freeing never waits for the GPU.
     */
    public void memFreeAsync(long pointer, MemorySegment stream) {
        call("cuMemFreeAsync", () -> (int) cuMemFreeAsync.invokeExact(pointer, stream));
    }

    /** CUmemPool_attribute CU_MEMPOOL_ATTR_RELEASE_THRESHOLD (value: cuuint64_t bytes). */
    private static final int MEMPOOL_ATTR_RELEASE_THRESHOLD = 4;
    /** CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT: the bytes the pool holds from the device. */
    private static final int MEMPOOL_ATTR_RESERVED_MEM_CURRENT = 5;
    /** CU_MEMPOOL_ATTR_USED_MEM_CURRENT: the bytes of the pool's live allocations. */
    private static final int MEMPOOL_ATTR_USED_MEM_CURRENT = 7;

    /**
     * The bytes the device's default pool holds but no live allocation uses, from
     * {@code cuMemPoolGetAttribute} RESERVED_MEM_CURRENT minus USED_MEM_CURRENT: free for the next
     * allocation though cuMemGetInfo counts them as used.
     */
    public long poolIdleBytes(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pool = defaultMemPool(arena, device);
            long reserved = poolAttribute(arena, pool, MEMPOOL_ATTR_RESERVED_MEM_CURRENT);
            long used = poolAttribute(arena, pool, MEMPOOL_ATTR_USED_MEM_CURRENT);
            return Math.max(0, reserved - used);
        }
    }

    /**
     * {@code CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pool_out, CUdevice dev)}, then
     * {@code CUresult cuMemPoolSetAttribute(CUmemoryPool pool, CUmemPool_attribute attr, void *value)}
     * with CU_MEMPOOL_ATTR_RELEASE_THRESHOLD: how much freed memory the pool keeps across
     * synchronizations instead of handing it back to the OS (default 0: every sync releases it).
     */
    public void setPoolReleaseThreshold(int device, long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pool = defaultMemPool(arena, device);
            call("cuMemPoolSetAttribute", () -> (int) cuMemPoolSetAttribute.invokeExact(pool, MEMPOOL_ATTR_RELEASE_THRESHOLD,
                    arena.allocateFrom(LONG, bytes)));
        }
    }

    /** {@code CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pool_out, CUdevice dev)}, its slot from {@code arena}. */
    private MemorySegment defaultMemPool(Arena arena, int device) {
        return out(arena, PTR, "cuDeviceGetDefaultMemPool",
                pool -> (int) cuDeviceGetDefaultMemPool.invokeExact(pool, device)).get(PTR, 0);
    }

    /** {@code CUresult cuMemPoolGetAttribute(CUmemoryPool pool, CUmemPool_attribute attr, void *value)}, a cuuint64_t. */
    private long poolAttribute(Arena arena, MemorySegment pool, int attribute) {
        return out(arena, LONG, "cuMemPoolGetAttribute",
                value -> (int) cuMemPoolGetAttribute.invokeExact(pool, attribute, value)).get(LONG, 0);
    }

    /**
     * {@code CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount,
     * CUstream hStream)}. From pageable memory it returns once the source is staged, so the host
     * buffer may be freed on return.
     */
    public void copyHostToDevice(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        call("cuMemcpyHtoDAsync_v2", () -> (int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream));
    }

    /**
     * {@code CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount,
     * CUstream hStream)}; the caller synchronizes the stream before reading dst.
     */
    public void copyDeviceToHost(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        call("cuMemcpyDtoHAsync_v2", () -> (int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream));
    }

    /** {@code CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)} */
    public void copyDeviceToDevice(long dst, long src, long bytes, MemorySegment stream) {
        call("cuMemcpyDtoDAsync_v2", () -> (int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream));
    }

    /** {@code CUresult cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N, CUstream hStream)} */
    public void memset32(long dst, int value, long count, MemorySegment stream) {
        call("cuMemsetD32Async", () -> (int) cuMemsetD32Async.invokeExact(dst, value, count, stream));
    }

    /** {@code CUresult cuModuleLoadData(CUmodule *module, const void *image)}: a fatbin, cubin or NUL-terminated PTX. */
    public MemorySegment moduleLoadData(MemorySegment image) {
        return outPointer("cuModuleLoadData", module -> (int) cuModuleLoadData.invokeExact(module, image));
    }

    /** {@code CUresult cuModuleUnload(CUmodule hmod)} */
    public void moduleUnload(MemorySegment module) {
        call("cuModuleUnload", () -> (int) cuModuleUnload.invokeExact(module));
    }

    /** {@code CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)} */
    public MemorySegment moduleGetFunction(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cName = arena.allocateFrom(name);
            return out(arena, PTR, "cuModuleGetFunction(" + name + ")",
                    function -> (int) cuModuleGetFunction.invokeExact(function, module, cName)).get(PTR, 0);
        }
    }

    /**
     * {@code CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
     * unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,
     * unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra)}
     */
    public void launch(MemorySegment function, String name, Launch geometry, MemorySegment stream, MemorySegment params) {
        call("cuLaunchKernel(" + name + ")", () -> (int) cuLaunchKernel.invokeExact(function, geometry.gridX(),
                geometry.gridY(), 1, geometry.blockX(), geometry.blockY(), 1, 0, stream, params, MemorySegment.NULL));
    }
}
