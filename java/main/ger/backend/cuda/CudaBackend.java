package ger.backend.cuda;

import ger.GerException;
import ger.backend.BackendProvider.Probe;
import ger.backend.DeviceTensor;
import ger.backend.Eigen;
import ger.backend.NotPositiveDefiniteException;
import ger.backend.Svd;
import ger.backend.TopK;
import ger.backend.cuda.internal.ColumnMajor;
import ger.backend.cuda.internal.Cublas;
import ger.backend.cuda.internal.Cusolver;
import ger.backend.cuda.internal.Driver;
import ger.backend.kernel.Kernel;
import ger.backend.kernel.KernelBackend;
import ger.backend.cuda.internal.KernelModule;
import ger.backend.kernel.Launch;
import ger.backend.cuda.internal.Nvtx;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CUDA backend: cuBLAS for the products, cuSOLVER for the factorisations, ger's kernels
 * (kernels/portable, compiled as CUDA) for everything element-wise and for the reductions, all bound through Java's FFM API.
 *
 * <p>Everything is queued on one stream, in order; the host waits only where a result comes back
 * (download, the scalar reductions, a factorisation's {@code devInfo}). A reduction writes its sum to
 * a device scalar and the host copies that one value. Device memory comes from the stream-ordered
 * pool (cuMemAllocAsync / cuMemFreeAsync), so closing a tensor never waits for the GPU.
 *
 * <p>Row-major tensors meet column-major libraries through {@link ColumnMajor}, which transposes the
 * equations rather than the data. Gram matrices use cublasSsyrk (half the flops of a GEMM) and a
 * mirror kernel.
 * The GEMMs' precision ({@link GemmPrecision}): the constructor's or -D{@value #GEMM_PROPERTY}=fp32|3xtf32|tf32.
 *
 * <p>The context is the device's primary context, made current on whichever thread calls in.
 */
public final class CudaBackend extends KernelBackend {
    /** System property: the GEMMs' precision, fp32 (default), 3xtf32 or tf32 ({@link GemmPrecision}). */
    public static final String GEMM_PROPERTY = "ger.cuda.gemm";

    /** How the GEMMs use the tensor cores. */
    public enum GemmPrecision {
        /** cuBLAS fp32 GEMMs (no tensor cores). */
        FP32("fp32"),
        /**
         * Each operand split into a TF32 part and a TF32 remainder (kernels/portable/tf32_split.h), the
         * three significant products on TF32 tensor cores summed in fp32: about fp32's accuracy.
         */
        TF32X3("3xtf32"),
        /** TF32 tensor cores: 10 mantissa bits in, about 1e-3 relative error. */
        TF32("tf32");

        private final String cliName;

        GemmPrecision(String cliName) {
            this.cliName = cliName;
        }

        public String cliName() {
            return cliName;
        }

        public static GemmPrecision parse(String text) {
            for (GemmPrecision p : values()) {
                if (p.cliName.equalsIgnoreCase(text.strip())) {
                    return p;
                }
            }
            throw new GerException("unknown GEMM precision '" + text + "' (expected fp32, 3xtf32 or tf32)");
        }
    }
    /** Freed pool memory the backend keeps for reuse instead of returning it to the OS at each sync. */
    private static final long POOL_KEEP_BYTES = Long.MAX_VALUE;

    private static Probe probe;
    /** Which backend last made its context current on each thread (by id, so a new backend always sets it). */
    private static final ThreadLocal<Long> CURRENT = new ThreadLocal<>();
    private static final AtomicLong NEXT_ID = new AtomicLong();

    private final long id = NEXT_ID.incrementAndGet();

    private final Driver driver;
    private final int ordinal;
    private final String deviceName;
    private final int ccMajor;
    private final int ccMinor;
    private final int multiprocessors;
    /** Per *_partials kernel: the blocks the whole GPU holds at once, its grid's cap (one wave). */
    private final Map<Kernel, Integer> residentBlocks = new EnumMap<>(Kernel.class);
    private final GemmPrecision precision;
    private final Set<CudaTensor> open = ConcurrentHashMap.newKeySet();
    private int device;
    private MemorySegment context;
    private MemorySegment stream;
    private Cublas cublas;
    private Cusolver cusolver;
    private KernelModule kernels;
    /** (MAX_PARTIALS + 1) doubles then one int: the reduction partials, the reduced scalar, devInfo. */
    private long scratch;
    private long intBuffer;
    private int intBufferCapacity;
    private boolean closed;

    /** Device 0, the GEMM precision as -D{@value #GEMM_PROPERTY} says (fp32 by default). */
    public CudaBackend() {
        this(0);
    }

    /** The device of this ordinal, the GEMM precision as -D{@value #GEMM_PROPERTY} says. */
    public CudaBackend(int ordinal) {
        this(ordinal, GemmPrecision.parse(System.getProperty(GEMM_PROPERTY, "fp32")));
    }

    /**
     * The device of this ordinal (0-based, as cuDeviceGet numbers them).
     *
     * @param precision how the GEMMs use the tensor cores
     * @throws CudaException when the driver, cuBLAS, cuSOLVER or the kernels cannot be loaded
     * @throws GerException when there is no device of that ordinal
     */
    public CudaBackend(int ordinal, GemmPrecision precision) {
        this.driver = Driver.get();
        this.ordinal = ordinal;
        this.precision = precision;
        driver.init();
        int count = driver.deviceCount();
        if (ordinal < 0 || ordinal >= count) {
            throw new GerException("CUDA device " + ordinal + " does not exist: this machine has " + count + " (0.." + (count - 1) + ")");
        }
        device = driver.device(ordinal);
        deviceName = driver.deviceName(device);
        ccMajor = driver.deviceAttribute(Driver.ATTRIBUTE_CC_MAJOR, device);
        ccMinor = driver.deviceAttribute(Driver.ATTRIBUTE_CC_MINOR, device);
        multiprocessors = driver.deviceAttribute(Driver.ATTRIBUTE_MULTIPROCESSORS, device);
        context = driver.primaryContextRetain(device);
        try {
            current();
            stream = driver.streamCreate(0);
            driver.setPoolReleaseThreshold(device, POOL_KEEP_BYTES);
            cublas = new Cublas(stream, precision == GemmPrecision.TF32);
            cusolver = new Cusolver(stream);
            kernels = KernelModule.load(driver, ccMajor, ccMinor);
            scratch = driver.memAllocAsync(8L * (Launch.MAX_PARTIALS + 2), stream);
        } catch (RuntimeException e) {
            try {
                close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Whether a CUDA backend can be created here (on a GPU: a CUDA device is always one), and the device
     * or the reason; never throws. Cached.
     */
    public static synchronized Probe probe() {
        if (probe == null) {
            probe = runProbe();
        }
        return probe;
    }

    /** {@code probe().available()}. */
    public static boolean available() {
        return probe().available();
    }

    private static Probe runProbe() {
        try {
            Driver d = Driver.get();
            d.init();
            int count = d.deviceCount();
            if (count < 1) {
                return new Probe(false, false, "no CUDA device (cuDeviceGetCount = 0)");
            }
            Cublas.load();
            Cusolver.load();
            int version = d.driverVersion();
            return new Probe(true, true, d.deviceName(d.device(0)) + " (" + count + " device(s), CUDA driver "
                    + version / 1000 + "." + version % 1000 / 10 + ")");
        } catch (Throwable t) {
            return new Probe(false, false, "CUDA unavailable: " + t.getMessage());
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String device() {
        return deviceName;
    }

    /** The device ordinal and its compute capability, e.g. "0, sm_90". */
    public String deviceDetails() {
        return ordinal + ", sm_" + ccMajor + ccMinor + ", GEMMs " + precision.cliName() + ", kernels from " + kernels.origin();
    }

    public GemmPrecision precision() {
        return precision;
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * Makes the primary context current on the calling thread, once per thread and backend (a closed
     * and re-created primary context may keep its handle, so the handle alone cannot tell).
     */
    private void current() {
        if (closed) {
            throw new IllegalStateException("CUDA backend used after close");
        }
        Long last = CURRENT.get();
        if (last == null || last != id) {
            driver.setCurrent(context);
            CURRENT.set(id);
        }
    }

    private long ptr(Tensor t) {
        return DeviceTensor.owned(CudaTensor.class, this, t).address();
    }

    private void launch(Kernel kernel, Launch geometry, Object... args) {
        kernels.launch(kernel, geometry, stream, args);
    }

    private long partials() {
        return scratch;
    }

    private long scalar() {
        return scratch + 8L * Launch.MAX_PARTIALS;
    }

    private long info() {
        return scratch + 8L * (Launch.MAX_PARTIALS + 1);
    }

    /** Copies {@code bytes} from the device and waits for them. */
    private MemorySegment read(Arena arena, long src, long bytes) {
        MemorySegment host = arena.allocate(Math.max(1, bytes), 8);
        driver.copyDeviceToHost(host, src, bytes, stream);
        driver.streamSynchronize(stream);
        return host;
    }

    private double readScalar() {
        try (Arena arena = Arena.ofConfined()) {
            return read(arena, scalar(), 8).get(ValueLayout.JAVA_DOUBLE, 0);
        }
    }

    private int readInfo() {
        try (Arena arena = Arena.ofConfined()) {
            return read(arena, info(), 4).get(ValueLayout.JAVA_INT, 0);
        }
    }

    /**
     * The sum computed by a *_partials kernel over n elements: {@code leading} are its arguments
     * before the partials buffer; sum_partials then reduces the partials into the device scalar.
     */
    private double reduce(Kernel kernel, long n, Object... leading) {
        return sumPartials(launchPartials(kernel, n, leading));
    }

    /** The sum of the first {@code blocks} partials, through the device scalar. */
    private double sumPartials(int blocks) {
        launch(Kernel.SUM_PARTIALS, Launch.singleBlock(), partials(), blocks, scalar(), 0);
        return readScalar();
    }

    /** Launches a *_partials kernel over n elements into the partials buffer; returns its block count. */
    private int launchPartials(Kernel kernel, long n, Object... leading) {
        int resident = residentBlocks.computeIfAbsent(kernel,
                k -> multiprocessors * kernels.residentBlocksPerMultiprocessor(k, Launch.BLOCK));
        Launch geometry = Launch.partials(n, resident);
        Object[] args = Arrays.copyOf(leading, leading.length + 1);
        args[leading.length] = partials();
        launch(kernel, geometry, args);
        return geometry.gridX();
    }

    /** A {@link Sum} in device memory: one double in a 1 x 2 float tensor's 8 bytes (freed with the backend). */
    private final class DeviceSum implements Sum {
        private final CudaTensor cell = allocate(1, 2);

        DeviceSum() {
            fill(cell, 0f); // all-zero bits: 0.0 as a double
        }

        @Override
        public double read() {
            current();
            try (Arena arena = Arena.ofConfined()) {
                return CudaBackend.this.read(arena, cell.address(), 8).get(ValueLayout.JAVA_DOUBLE, 0);
            }
        }

        @Override
        public void close() {
            cell.close();
        }
    }

    /** A device buffer of at least {@code count} ints, reused between calls (stream order keeps uses apart). */
    private long ints(int count) {
        if (count > intBufferCapacity) {
            if (intBuffer != 0) {
                driver.memFreeAsync(intBuffer, stream);
            }
            intBufferCapacity = Math.max(count, 2 * intBufferCapacity);
            intBuffer = driver.memAllocAsync(4L * intBufferCapacity, stream);
        }
        return intBuffer;
    }

    /** Uploads {@code values} to the device at {@code dst}. */
    private void uploadInts(int[] values, long dst) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(ValueLayout.JAVA_INT, values);
            // from pageable memory: returns once staged, so the arena may close
            driver.copyHostToDevice(dst, host, 4L * values.length, stream);
        }
    }

    /** Scratch device memory of {@code floats} floats, freed (stream-ordered) by the caller. */
    private long temp(long floats) {
        return driver.memAllocAsync(Math.max(1, floats) * Float.BYTES, stream);
    }

    private void freeTemp(long... addresses) {
        for (long a : addresses) {
            driver.memFreeAsync(a, stream);
        }
    }

    void free(CudaTensor t, long address) {
        if (closed) {
            return; // close() freed it already
        }
        open.remove(t);
        current();
        driver.memFreeAsync(address, stream);
    }

    // ---------------------------------------------------------------- memory

    @Override
    public CudaTensor allocate(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative tensor shape " + rows + " x " + cols);
        }
        current();
        long bytes = Math.max(1, (long) rows * cols) * Float.BYTES;
        CudaTensor t = new CudaTensor(this, rows, cols, driver.memAllocAsync(bytes, stream));
        open.add(t);
        return t;
    }

    @Override
    public long freeMemory() {
        current();
        // Frees are stream-ordered: only after a sync are they back in the pool, which keeps what it
        // reserved (POOL_KEEP_BYTES), so its idle bytes count as free though cuMemGetInfo calls them used.
        driver.streamSynchronize(stream);
        return driver.freeMemory() + driver.poolIdleBytes(device);
    }

    @Override
    public CudaTensor upload(Matrix host) {
        CudaTensor t = allocate(host.rows(), host.cols());
        if (host.byteSize() > 0) {
            driver.copyHostToDevice(t.address(), host.segment(), host.byteSize(), stream);
        }
        return t;
    }

    @Override
    protected void implUploadRows(Matrix src, int srcRow, Tensor dst, int dstRow, int count) {
        long rowBytes = (long) src.cols() * Float.BYTES;
        if (count * rowBytes > 0) {
            current();
            // From pageable memory the call returns once the rows are staged, so src may change after it.
            driver.copyHostToDevice(ptr(dst) + dstRow * rowBytes, src.segment().asSlice(srcRow * rowBytes, count * rowBytes),
                    count * rowBytes, stream);
        }
    }

    @Override
    protected void implDownloadRows(Tensor src, int srcRow, Matrix dst, int dstRow, int count) {
        long rowBytes = (long) src.cols() * Float.BYTES;
        current();
        if (count * rowBytes > 0) {
            driver.copyDeviceToHost(dst.segment().asSlice(dstRow * rowBytes, count * rowBytes), ptr(src) + srcRow * rowBytes,
                    count * rowBytes, stream);
        }
        driver.streamSynchronize(stream);
    }

    @Override
    protected void implCopyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        current();
        long rowBytes = (long) src.cols() * Float.BYTES;
        if (count > 0 && rowBytes > 0) {
            driver.copyDeviceToDevice(ptr(dst) + dstRow * rowBytes, ptr(src) + srcRow * rowBytes, count * rowBytes, stream);
        }
    }

    @Override
    protected void implGatherRows(Tensor src, int[] rows, Tensor dst) {
        current();
        if (rows.length == 0) {
            return;
        }
        long indices = ints(rows.length);
        uploadInts(rows, indices);
        launch(Kernel.GATHER_ROWS, Launch.strided(dst.size()), ptr(src), src.cols(), indices, rows.length, ptr(dst));
    }

    @Override
    protected void implTranspose(Tensor src, Tensor dst) {
        current();
        launch(Kernel.TRANSPOSE, Launch.transpose(src.rows(), src.cols()), ptr(src), src.rows(), src.cols(), ptr(dst));
    }

    @Override
    public void fill(Tensor t, float value) {
        current();
        if (t.size() > 0) {
            driver.memset32(ptr(t), Float.floatToRawIntBits(value), t.size(), stream);
        }
    }

    // ---------------------------------------------------------------- BLAS

    @Override
    protected void implGemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        current();
        int k = transA ? a.rows() : a.cols(); // c is op(a) op(b), m x n, as CheckedBackend checked
        ColumnMajor.Gemm g = ColumnMajor.Gemm.rowMajor(transA, transB, c.rows(), c.cols(), k, a.cols(), b.cols());
        if (precision != GemmPrecision.TF32X3) {
            cublas.sgemm(g, alpha, ptr(b), ptr(a), beta, ptr(c)); // swapped: see ColumnMajor.Gemm
            return;
        }
        try (CudaTensor aHi = allocate(a.rows(), a.cols()); CudaTensor aLo = allocate(a.rows(), a.cols());
             CudaTensor bHi = allocate(b.rows(), b.cols()); CudaTensor bLo = allocate(b.rows(), b.cols())) {
            launch(Kernel.TF32_SPLIT, Launch.strided(a.size()), ptr(a), ptr(aHi), ptr(aLo), a.size());
            launch(Kernel.TF32_SPLIT, Launch.strided(b.size()), ptr(b), ptr(bHi), ptr(bLo), b.size());
            cublas.tensorCores(true);
            try {
                // The small terms first, so that they are not lost against the large one.
                cublas.sgemm(g, alpha, ptr(bLo), ptr(aHi), beta, ptr(c));
                cublas.sgemm(g, alpha, ptr(bHi), ptr(aLo), 1f, ptr(c));
                cublas.sgemm(g, alpha, ptr(bHi), ptr(aHi), 1f, ptr(c));
            } finally {
                cublas.tensorCores(false);
            }
        }
    }

    @Override
    protected void implGram(Tensor x, float beta, Tensor c) {
        int d = x.cols();
        current();
        // SYRK (half a GEMM's flops) updates one triangle: c is symmetric on entry, so beta times that
        // triangle plus X^T X's, mirrored, is the whole beta c + X^T X (the blocked Gram's accumulation).
        cublas.ssyrk(ColumnMajor.SYRK_UPLO, ColumnMajor.OP_N, d, x.rows(), 1f, ptr(x), Math.max(1, d), beta, ptr(c), Math.max(1, d));
        launch(Kernel.MIRROR_UPPER_TO_LOWER, Launch.strided(c.size()), ptr(c), d);
    }

    @Override
    protected void implAxpy(float alpha, Tensor x, Tensor y) {
        current();
        launch(Kernel.AXPY, Launch.strided(x.size()), alpha, ptr(x), ptr(y), x.size());
    }

    @Override
    public void scale(Tensor x, float alpha) {
        current();
        launch(Kernel.SCALE, Launch.strided(x.size()), ptr(x), alpha, x.size());
    }

    // ---------------------------------------------------------------- factorisations

    @Override
    protected void implCholesky(Tensor a) {
        int d = a.rows();
        if (d == 0) {
            return;
        }
        current();
        int lwork = cusolver.potrfBufferSize(ColumnMajor.POTRF_UPLO, d, ptr(a), d);
        long work = temp(lwork);
        cusolver.potrf(ColumnMajor.POTRF_UPLO, d, ptr(a), d, work, lwork, info());
        freeTemp(work);
        int info = readInfo();
        if (info > 0) {
            throw new NotPositiveDefiniteException(info - 1, d);
        }
        checkInfo(info, "cusolverDnSpotrf");
        launch(Kernel.ZERO_UPPER, Launch.strided(a.size()), ptr(a), d);
    }

    @Override
    protected void implTriangularSolve(Tensor l, boolean transposeL, Tensor b) {
        if (l.rows() == 0 || b.cols() == 0) {
            return;
        }
        current();
        cublas.strsm(ColumnMajor.Trsm.rowMajorLowerLeft(l.rows(), b.cols(), transposeL), 1f, ptr(l), ptr(b));
    }

    /** cusolverDnSsyevd on a copy of s (all eigenpairs, ascending), then the top k reversed into place. */
    @Override
    protected Eigen implSymmetricEigenTopK(Tensor s, int k) {
        int d = s.rows();
        current();
        long work = temp(s.size());
        long w = temp(d);
        driver.copyDeviceToDevice(work, ptr(s), s.size() * Float.BYTES, stream);
        int jobz = Cusolver.EIG_MODE_VECTOR;
        int lwork = cusolver.syevdBufferSize(jobz, ColumnMajor.SYEVD_UPLO, d, work, d, w);
        long ws = temp(lwork);
        cusolver.syevd(jobz, ColumnMajor.SYEVD_UPLO, d, work, d, w, ws, lwork, info());
        CudaTensor vectors = allocate(d, k);
        launch(Kernel.EIGVECS_TOP_K, Launch.strided(vectors.size()), work, d, k, vectors.address());
        double[] values = new double[k];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ascending = read(arena, w, 4L * d);
            for (int j = 0; j < k; j++) {
                values[j] = ascending.getAtIndex(ValueLayout.JAVA_FLOAT, d - 1 - j);
            }
        } finally {
            freeTemp(work, w, ws);
        }
        int info = readInfo();
        if (info != 0) {
            vectors.close();
            checkInfo(info, "cusolverDnSsyevd (" + info + " off-diagonal elements did not converge)");
        }
        return new Eigen(values, vectors);
    }

    /**
     * cusolverDnSgesvd, which needs rows >= cols in column-major, i.e. a row-major a with rows <= cols
     * (see {@link ColumnMajor.Gesvd}); a tall a is transposed first and the factors swapped back.
     */
    @Override
    protected Svd implSvd(Tensor a, int k) {
        current();
        if (a.rows() <= a.cols()) {
            return svdWide(a, k);
        }
        try (CudaTensor at = allocate(a.cols(), a.rows())) {
            transpose(a, at);
            try (Svd wide = svdWide(at, k)) {
                CudaTensor u = allocate(a.rows(), k);
                CudaTensor vt = allocate(k, a.cols());
                transpose(wide.vt(), u);
                transpose(wide.u(), vt);
                return new Svd(u, wide.s(), vt);
            }
        }
    }

    private Svd svdWide(Tensor a, int k) {
        int m = a.rows();
        int n = a.cols();
        ColumnMajor.Gesvd g = ColumnMajor.Gesvd.rowMajorWide(m, n);
        long work = temp(a.size());
        long sv = temp(m);
        long uPrime = temp((long) n * m);
        long vtPrime = temp((long) m * m);
        driver.copyDeviceToDevice(work, ptr(a), a.size() * Float.BYTES, stream);
        int lwork = cusolver.gesvdBufferSize(g.m(), g.n());
        long ws = temp(lwork);
        cusolver.gesvd('S', 'S', g.m(), g.n(), work, g.lda(), sv, uPrime, g.ldu(), vtPrime, g.ldvt(), ws, lwork, info());
        CudaTensor u = allocate(m, k);
        CudaTensor vt = allocate(k, n);
        driver.copyDeviceToDevice(vt.address(), uPrime, vt.size() * Float.BYTES, stream);
        launch(Kernel.COPY_BLOCK, Launch.strided(u.size()), vtPrime, m, u.address(), k, m, k);
        double[] s = new double[k];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment values = read(arena, sv, 4L * k);
            for (int j = 0; j < k; j++) {
                s[j] = values.getAtIndex(ValueLayout.JAVA_FLOAT, j);
            }
        } finally {
            freeTemp(work, sv, uPrime, vtPrime, ws);
        }
        int info = readInfo();
        if (info != 0) {
            u.close();
            vt.close();
            checkInfo(info, "cusolverDnSgesvd (" + info + " superdiagonals did not converge)");
        }
        return new Svd(u, s, vt);
    }

    /** devInfo < 0: argument -info was wrong (a bug here); > 0: the routine's own failure, named by what. */
    private static void checkInfo(int info, String what) {
        if (info < 0) {
            throw new CudaException(what + ": devInfo = " + info + " (parameter " + -info + " is invalid)");
        }
        if (info > 0) {
            throw new CudaException(what + ": devInfo = " + info);
        }
    }

    // ---------------------------------------------------------------- element-wise and reductions

    @Override
    protected void implAddBiasRelu(Tensor a, Tensor bias, boolean relu) {
        current();
        launch(Kernel.ADD_BIAS_RELU, Launch.strided(a.size()), ptr(a), ptr(bias), a.rows(), a.cols(), relu ? 1 : 0);
    }

    @Override
    protected void implAddRowVector(Tensor x, float alpha, Tensor v) {
        current();
        launch(Kernel.ADD_ROW_VECTOR, Launch.strided(x.size()), ptr(x), alpha, ptr(v), x.rows(), x.cols());
    }

    @Override
    protected void scaledColumnSums(Tensor x, Tensor sums, float scale) {
        current();
        Launch slices = Launch.columnSums(x.rows(), x.cols());
        long partials = driver.memAllocAsync(8L * slices.gridY() * Math.max(1, x.cols()), stream);
        try {
            launch(Kernel.COLUMN_SUMS, slices, ptr(x), x.rows(), x.cols(), Launch.sliceRows(x.rows(), slices), partials);
            launch(Kernel.COLUMN_SUMS_FINISH, Launch.strided(x.cols()), partials, slices.gridY(), x.cols(), scale, ptr(sums));
        } finally {
            driver.memFreeAsync(partials, stream);
        }
    }

    @Override
    protected void implAddDiagonal(Tensor a, float value) {
        current();
        launch(Kernel.ADD_DIAGONAL, Launch.strided(a.rows()), ptr(a), a.rows(), value);
    }

    @Override
    protected double implTrace(Tensor a) {
        current();
        launch(Kernel.TRACE, Launch.singleBlock(), ptr(a), a.rows(), scalar());
        return readScalar();
    }

    @Override
    protected double implSquaredError(Tensor a, Tensor b) {
        current();
        return reduce(Kernel.SQUARED_ERROR, a.size(), ptr(a), ptr(b), a.size());
    }

    @Override
    public double squaredNorm(Tensor a) {
        current();
        return reduce(Kernel.SQUARED_NORM, a.size(), ptr(a), a.size());
    }

    @Override
    protected double implErrorGradient(Tensor out, Tensor target, float scale, Tensor delta) {
        return sumPartials(errorGradientPartials(out, target, scale, delta));
    }

    @Override
    protected void implErrorGradient(Tensor out, Tensor target, float scale, Tensor delta, Sum sum) {
        if (!(sum instanceof DeviceSum deviceSum)) {
            throw new IllegalArgumentException("cuda backend got a sum it did not make: " + sum);
        }
        int blocks = errorGradientPartials(out, target, scale, delta);
        launch(Kernel.SUM_PARTIALS, Launch.singleBlock(), partials(), blocks, deviceSum.cell.address(), 1);
    }

    /** delta = scale (out - target), with the squared differences' partial sums; returns their count. */
    private int errorGradientPartials(Tensor out, Tensor target, float scale, Tensor delta) {
        current();
        return launchPartials(Kernel.ERROR_GRADIENT, out.size(), ptr(out), ptr(target), scale, ptr(delta), out.size());
    }

    @Override
    public Sum newSum() {
        current();
        return new DeviceSum();
    }

    @Override
    protected void implReluBackward(Tensor grad, Tensor activation) {
        current();
        launch(Kernel.RELU_BACKWARD, Launch.strided(grad.size()), ptr(grad), ptr(activation), grad.size());
    }

    @Override
    protected double implReluPenalty(Tensor yPrime, Tensor preActivation, float lambda, Tensor z) {
        current();
        return reduce(Kernel.RELU_PENALTY, z.size(), ptr(yPrime), ptr(preActivation), lambda, ptr(z), z.size());
    }

    /** topk_rank counts, per row, the entries ranked ahead of the label; the host counts rows per k. */
    @Override
    protected long[] implTopkCorrect(Tensor logits, int[] labels, int[] ks) {
        int rows = logits.rows();
        if (rows == 0) {
            return new long[ks.length];
        }
        current();
        long buffer = ints(2 * rows);
        long above = buffer + 4L * rows;
        uploadInts(labels, buffer);
        launch(Kernel.TOPK_RANK, Launch.lanesPerRow(rows), ptr(logits), rows, logits.cols(), buffer, above);
        try (Arena arena = Arena.ofConfined()) {
            return TopK.correct(read(arena, above, 4L * rows).toArray(ValueLayout.JAVA_INT), ks);
        }
    }

    // ---------------------------------------------------------------- SGD

    @Override
    protected void implSgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay) {
        current();
        launch(Kernel.SGD_UPDATE, Launch.strided(param.size()), ptr(param), ptr(grad), ptr(velocity), lr, momentum,
                weightDecay, param.size());
    }

    // ---------------------------------------------------------------- profiling

    /** An NVTX range (nvtxRangePushA / nvtxRangePop); a no-op when libnvtx3interop is absent. */
    @Override
    public Range range(String name) {
        return Nvtx.get().<Range>map(nvtx -> {
            nvtx.push(name);
            return nvtx::pop;
        }).orElse(() -> { });
    }

    @Override
    public void synchronize() {
        current();
        driver.streamSynchronize(stream);
    }

    /** The GPU time of the work {@code work} queues on this backend, in milliseconds, from two CUDA events. */
    public float timeMillis(Runnable work) {
        current();
        MemorySegment start = driver.eventCreate();
        MemorySegment end = driver.eventCreate();
        try {
            driver.eventRecord(start, stream);
            work.run();
            driver.eventRecord(end, stream);
            driver.eventSynchronize(end);
            return driver.eventElapsedMillis(start, end);
        } finally {
            driver.eventDestroy(start);
            driver.eventDestroy(end);
        }
    }

    /** Frees every tensor still open, then the handles, the stream and the context reference. */
    @Override
    public void close() {
        if (closed || context == null) {
            return;
        }
        if (stream != null) {
            current();
            for (CudaTensor t : open) {
                t.close();
            }
            if (scratch != 0) {
                driver.memFreeAsync(scratch, stream);
            }
            if (intBuffer != 0) {
                driver.memFreeAsync(intBuffer, stream);
            }
            driver.streamSynchronize(stream);
        }
        closed = true;
        if (kernels != null) {
            kernels.close();
        }
        if (cusolver != null) {
            cusolver.close();
        }
        if (cublas != null) {
            cublas.close();
        }
        if (stream != null) {
            driver.streamDestroy(stream);
        }
        driver.primaryContextRelease(device);
    }

    @Override
    public String toString() {
        return "CudaBackend[" + deviceName + ", " + deviceDetails() + "]";
    }
}
