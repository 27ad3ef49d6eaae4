package ger.backend.cuda.internal;

import ger.backend.kernel.Launch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static ger.backend.cuda.internal.Binder.FLOAT;
import static ger.backend.cuda.internal.Binder.INT;
import static ger.backend.cuda.internal.Binder.LONG;
import static ger.backend.cuda.internal.Binder.PTR;
import static ger.backend.cuda.internal.Status.check;
import static ger.backend.cuda.internal.Status.rethrow;

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
        try {
            check((int) cuInit.invokeExact(0), "cuInit");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuDriverGetVersion(int *driverVersion)}: e.g. 13000 for CUDA 13.0. */
    public int driverVersion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            check((int) cuDriverGetVersion.invokeExact(out), "cuDriverGetVersion");
            return out.get(INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuMemGetInfo_v2(size_t *free, size_t *total)}: the free bytes of the current context's device. */
    public long freeMemory() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(LONG);
            MemorySegment total = arena.allocate(LONG);
            check((int) cuMemGetInfo.invokeExact(free, total), "cuMemGetInfo_v2");
            return free.get(LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuDeviceGetCount(int *count)} */
    public int deviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            check((int) cuDeviceGetCount.invokeExact(out), "cuDeviceGetCount");
            return out.get(INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuDeviceGet(CUdevice *device, int ordinal)} */
    public int device(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            check((int) cuDeviceGet.invokeExact(out, ordinal), "cuDeviceGet");
            return out.get(INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuDeviceGetName(char *name, int len, CUdevice dev)} */
    public String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(256);
            check((int) cuDeviceGetName.invokeExact(out, 256, device), "cuDeviceGetName");
            return out.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            check((int) cuOccupancyMaxActiveBlocksPerMultiprocessor.invokeExact(out, function, blockSize, 0L),
                    "cuOccupancyMaxActiveBlocksPerMultiprocessor");
            return out.get(INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)} */
    public int deviceAttribute(int attribute, int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            check((int) cuDeviceGetAttribute.invokeExact(out, attribute, device), "cuDeviceGetAttribute");
            return out.get(INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)} */
    public MemorySegment primaryContextRetain(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(PTR);
            check((int) cuDevicePrimaryCtxRetain.invokeExact(out, device), "cuDevicePrimaryCtxRetain");
            return out.get(PTR, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)} */
    public void primaryContextRelease(int device) {
        try {
            check((int) cuDevicePrimaryCtxRelease.invokeExact(device), "cuDevicePrimaryCtxRelease_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuCtxSetCurrent(CUcontext ctx)} */
    public void setCurrent(MemorySegment context) {
        try {
            check((int) cuCtxSetCurrent.invokeExact(context), "cuCtxSetCurrent");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags)} */
    public MemorySegment streamCreate(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(PTR);
            check((int) cuStreamCreate.invokeExact(out, flags), "cuStreamCreate");
            return out.get(PTR, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuStreamDestroy_v2(CUstream hStream)} */
    public void streamDestroy(MemorySegment stream) {
        try {
            check((int) cuStreamDestroy.invokeExact(stream), "cuStreamDestroy_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuStreamSynchronize(CUstream hStream)} */
    public void streamSynchronize(MemorySegment stream) {
        try {
            check((int) cuStreamSynchronize.invokeExact(stream), "cuStreamSynchronize");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags)} */
    public MemorySegment eventCreate() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(PTR);
            check((int) cuEventCreate.invokeExact(out, 0), "cuEventCreate");
            return out.get(PTR, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuEventRecord(CUevent hEvent, CUstream hStream)} */
    public void eventRecord(MemorySegment event, MemorySegment stream) {
        try {
            check((int) cuEventRecord.invokeExact(event, stream), "cuEventRecord");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuEventSynchronize(CUevent hEvent)} */
    public void eventSynchronize(MemorySegment event) {
        try {
            check((int) cuEventSynchronize.invokeExact(event), "cuEventSynchronize");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd)} */
    public float eventElapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(FLOAT);
            check((int) cuEventElapsedTime.invokeExact(out, start, end), "cuEventElapsedTime_v2");
            return out.get(FLOAT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuEventDestroy_v2(CUevent hEvent)} */
    public void eventDestroy(MemorySegment event) {
        try {
            check((int) cuEventDestroy.invokeExact(event), "cuEventDestroy_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)}: from the
     * device's default pool, ordered on the stream (usable by work queued after it on that stream).
     */
    public long memAllocAsync(long bytes, MemorySegment stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(LONG);
            check((int) cuMemAllocAsync.invokeExact(out, bytes, stream), "cuMemAllocAsync");
            return out.get(LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream)}: freed once the work queued
     * before it on the stream is done, so freeing never waits for the GPU.
     */
    public void memFreeAsync(long pointer, MemorySegment stream) {
        try {
            check((int) cuMemFreeAsync.invokeExact(pointer, stream), "cuMemFreeAsync");
        } catch (Throwable t) {
            throw rethrow(t);
        }
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
            MemorySegment pool = arena.allocate(PTR);
            check((int) cuDeviceGetDefaultMemPool.invokeExact(pool, device), "cuDeviceGetDefaultMemPool");
            MemorySegment reserved = arena.allocate(LONG);
            MemorySegment used = arena.allocate(LONG);
            check((int) cuMemPoolGetAttribute.invokeExact(pool.get(PTR, 0), MEMPOOL_ATTR_RESERVED_MEM_CURRENT, reserved),
                    "cuMemPoolGetAttribute");
            check((int) cuMemPoolGetAttribute.invokeExact(pool.get(PTR, 0), MEMPOOL_ATTR_USED_MEM_CURRENT, used),
                    "cuMemPoolGetAttribute");
            return Math.max(0, reserved.get(LONG, 0) - used.get(LONG, 0));
        } catch (Throwable t) {
            throw rethrow(t);
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
            MemorySegment pool = arena.allocate(PTR);
            check((int) cuDeviceGetDefaultMemPool.invokeExact(pool, device), "cuDeviceGetDefaultMemPool");
            check((int) cuMemPoolSetAttribute.invokeExact(pool.get(PTR, 0), MEMPOOL_ATTR_RELEASE_THRESHOLD,
                    arena.allocateFrom(LONG, bytes)), "cuMemPoolSetAttribute");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount,
     * CUstream hStream)}. From pageable memory it returns once the source is staged, so the host
     * buffer may be freed on return.
     */
    public void copyHostToDevice(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount,
     * CUstream hStream)}; the caller synchronizes the stream before reading dst.
     */
    public void copyDeviceToHost(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)} */
    public void copyDeviceToDevice(long dst, long src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoDAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N, CUstream hStream)} */
    public void memset32(long dst, int value, long count, MemorySegment stream) {
        try {
            check((int) cuMemsetD32Async.invokeExact(dst, value, count, stream), "cuMemsetD32Async");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuModuleLoadData(CUmodule *module, const void *image)}: a fatbin, cubin or NUL-terminated PTX. */
    public MemorySegment moduleLoadData(MemorySegment image) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(PTR);
            check((int) cuModuleLoadData.invokeExact(out, image), "cuModuleLoadData");
            return out.get(PTR, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuModuleUnload(CUmodule hmod)} */
    public void moduleUnload(MemorySegment module) {
        try {
            check((int) cuModuleUnload.invokeExact(module), "cuModuleUnload");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)} */
    public MemorySegment moduleGetFunction(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(PTR);
            check((int) cuModuleGetFunction.invokeExact(out, module, arena.allocateFrom(name)),
                    "cuModuleGetFunction(" + name + ")");
            return out.get(PTR, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
     * unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,
     * unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra)}
     */
    public void launch(MemorySegment function, String name, Launch geometry, MemorySegment stream, MemorySegment params) {
        try {
            check((int) cuLaunchKernel.invokeExact(function, geometry.gridX(), geometry.gridY(), 1,
                    geometry.blockX(), geometry.blockY(), 1, 0, stream, params, MemorySegment.NULL),
                    "cuLaunchKernel(" + name + ")");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
