// A fake of the CUDA driver, cuBLAS and cuSOLVER entry points ger binds, for testing the Java
// bindings on machines without a GPU (FakeCudaTest builds it with cc and loads it as libcuda.so.1,
// libcublas.so.13, libcublasLt.so.13 and libcusolver.so.12 through -Dger.cuda.libs).
//
// "Device" memory is host memory from calloc; copies and memsets really happen and are checked to
// stay inside one live allocation (an out-of-range copy returns CUDA_ERROR_INVALID_VALUE = 1).
// Kernels and library routines do nothing and succeed. fake_outstanding() counts live allocations,
// so a test can check that closing the backend frees everything.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ALLOCS 4096
static uintptr_t base[MAX_ALLOCS];
static size_t length[MAX_ALLOCS];

static int inside(uintptr_t p, size_t bytes) {
    for (int i = 0; i < MAX_ALLOCS; i++) {
        if (base[i] != 0 && p >= base[i] && p + bytes <= base[i] + length[i]) {
            return 1;
        }
    }
    return 0;
}

int fake_outstanding(void) {
    int n = 0;
    for (int i = 0; i < MAX_ALLOCS; i++) {
        n += base[i] != 0;
    }
    return n;
}

static void* handle(uintptr_t v) { return (void*)v; }

// ---------------------------------------------------------------- driver
int cuInit(unsigned flags) { (void)flags; return 0; }
int cuDriverGetVersion(int* v) { *v = 13000; return 0; }
int cuDeviceGetCount(int* n) { *n = 1; return 0; }
int cuDeviceGet(int* d, int ordinal) { *d = ordinal; return ordinal == 0 ? 0 : 101; }
int cuDeviceGetName(char* name, int len, int dev) { (void)dev; strncpy(name, "Fake GPU", len); return 0; }
// Compute capability 9.0 and 132 SMs, as an H100/H200.
int cuDeviceGetAttribute(int* v, int attr, int dev) { (void)dev; *v = attr == 75 ? 9 : attr == 16 ? 132 : 0; return 0; }
int cuOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, void* f, int block_size, size_t shared) {
    (void)shared;
    if (f == 0 || block_size < 1 || block_size > 1024) return 1;
    *blocks = 2048 / block_size < 6 ? 2048 / block_size : 6;
    return 0;
}
int cuDevicePrimaryCtxRetain(void** ctx, int dev) { (void)dev; *ctx = handle(0x1000); return 0; }
int cuDevicePrimaryCtxRelease_v2(int dev) { (void)dev; return 0; }
int cuCtxSetCurrent(void* ctx) { return ctx == handle(0x1000) ? 0 : 201; }
int cuStreamCreate(void** s, unsigned flags) { (void)flags; *s = handle(0x2000); return 0; }
int cuStreamDestroy_v2(void* s) { return s == handle(0x2000) ? 0 : 400; }
int cuStreamSynchronize(void* s) { return s == handle(0x2000) ? 0 : 400; }
int cuEventCreate(void** e, unsigned flags) { (void)flags; *e = handle(0x3000); return 0; }
int cuEventRecord(void* e, void* s) { (void)e; (void)s; return 0; }
int cuEventSynchronize(void* e) { (void)e; return 0; }
int cuEventElapsedTime_v2(float* ms, void* a, void* b) { (void)a; (void)b; *ms = 1.5f; return 0; }
int cuEventDestroy_v2(void* e) { (void)e; return 0; }

// A pool that never releases, as ger sets it: it reserves up to the high-water mark of live bytes.
static uint64_t used_bytes;
static uint64_t reserved_bytes;

int cuMemAllocAsync(uint64_t* p, size_t bytes, void* s) {
    (void)s;
    if (bytes == 0) {
        return 1;
    }
    for (int i = 0; i < MAX_ALLOCS; i++) {
        if (base[i] == 0) {
            base[i] = (uintptr_t)calloc(1, bytes);
            length[i] = bytes;
            *p = base[i];
            used_bytes += bytes;
            if (used_bytes > reserved_bytes) reserved_bytes = used_bytes;
            return 0;
        }
    }
    return 2;
}

int cuMemFreeAsync(uint64_t p, void* s) {
    (void)s;
    for (int i = 0; i < MAX_ALLOCS; i++) {
        if (base[i] == p) {
            free((void*)p);
            base[i] = 0;
            used_bytes -= length[i];
            return 0;
        }
    }
    return 1; // not a live allocation: a double free
}

// The device has 3 GiB free before ger; what the pool reserves is used as cuMemGetInfo sees it.
int cuMemGetInfo_v2(size_t* free_bytes, size_t* total) { *free_bytes = ((size_t)3 << 30) - reserved_bytes; *total = (size_t)4 << 30; return 0; }
int cuDeviceGetDefaultMemPool(void** pool, int dev) { (void)dev; *pool = handle(0x4000); return 0; }
int cuMemPoolSetAttribute(void* pool, int attr, void* value) { (void)value; return pool == handle(0x4000) && attr == 4 ? 0 : 1; }
int cuMemPoolGetAttribute(void* pool, int attr, void* value) {
    if (pool != handle(0x4000) || (attr != 5 && attr != 7)) return 1;
    *(uint64_t*)value = attr == 5 ? reserved_bytes : used_bytes;
    return 0;
}

int cuMemcpyHtoDAsync_v2(uint64_t dst, const void* src, size_t bytes, void* s) {
    (void)s;
    if (!inside(dst, bytes)) return 1;
    memcpy((void*)dst, src, bytes);
    return 0;
}

int cuMemcpyDtoHAsync_v2(void* dst, uint64_t src, size_t bytes, void* s) {
    (void)s;
    if (!inside(src, bytes)) return 1;
    memcpy(dst, (void*)src, bytes);
    return 0;
}

int cuMemcpyDtoDAsync_v2(uint64_t dst, uint64_t src, size_t bytes, void* s) {
    (void)s;
    if (!inside(dst, bytes) || !inside(src, bytes)) return 1;
    memmove((void*)dst, (void*)src, bytes);
    return 0;
}

int cuMemsetD32Async(uint64_t dst, unsigned value, size_t count, void* s) {
    (void)s;
    if (!inside(dst, 4 * count)) return 1;
    for (size_t i = 0; i < count; i++) ((unsigned*)dst)[i] = value;
    return 0;
}

int cuModuleLoadData(void** m, const void* image) { (void)image; *m = handle(0x5000); return 0; }
int cuModuleUnload(void* m) { return m == handle(0x5000) ? 0 : 400; }
int cuModuleGetFunction(void** f, void* m, const char* name) { (void)m; *f = (void*)name; return name[0] ? 0 : 500; }

int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void* s, void** params, void** extra) {
    (void)f; (void)shared; (void)s; (void)extra;
    if (gx == 0 || gy == 0 || gz == 0 || bx * by * bz == 0 || bx * by * bz > 1024 || params == 0) return 1;
    return 0;
}

// ---------------------------------------------------------------- cuBLAS
int cublasCreate_v2(void** h) { *h = handle(0x6000); return 0; }
int cublasDestroy_v2(void* h) { return h == handle(0x6000) ? 0 : 1; }
int cublasSetStream_v2(void* h, void* s) { (void)s; return h == handle(0x6000) ? 0 : 1; }
int cublasSetMathMode(void* h, int mode) { (void)mode; return h == handle(0x6000) ? 0 : 1; }
int cublasSgemm_v2(void) { return 0; }
int cublasSsyrk_v2(void) { return 0; }
int cublasStrsm_v2(void) { return 0; }

// ---------------------------------------------------------------- cuSOLVER
int cusolverDnCreate(void** h) { *h = handle(0x7000); return 0; }
int cusolverDnDestroy(void* h) { return h == handle(0x7000) ? 0 : 1; }
int cusolverDnSetStream(void* h, void* s) { (void)s; return h == handle(0x7000) ? 0 : 1; }
int cusolverDnSpotrf_bufferSize(void* h, int uplo, int n, float* a, int lda, int* lwork) {
    (void)h; (void)uplo; (void)a; *lwork = n; return lda >= n ? 0 : 3;
}
int cusolverDnSpotrf(void) { return 0; }
int cusolverDnSsyevd_bufferSize(void* h, int jobz, int uplo, int n, const float* a, int lda, const float* w, int* lwork) {
    (void)h; (void)jobz; (void)uplo; (void)a; (void)w; *lwork = 2 * n; return lda >= n ? 0 : 3;
}
int cusolverDnSsyevd(void) { return 0; }
int cusolverDnSgesvd_bufferSize(void* h, int m, int n, int* lwork) { (void)h; *lwork = m + n; return m >= n ? 0 : 3; }
int cusolverDnSgesvd(void* h, signed char jobu, signed char jobvt, int m, int n) {
    (void)h;
    return jobu == 'S' && jobvt == 'S' && m >= n ? 0 : 3;
}
