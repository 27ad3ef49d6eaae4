package ger.backend.opencl;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.BackendProvider.Probe;
import ger.backend.DeviceTensor;
import ger.backend.Eigen;
import ger.backend.Shapes;
import ger.backend.Svd;
import ger.backend.TopK;
import ger.backend.java.JavaBackend;
import ger.backend.kernel.Kernel;
import ger.backend.kernel.KernelBackend;
import ger.backend.kernel.KernelSignature;
import ger.backend.kernel.KernelSources;
import ger.backend.kernel.Launch;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import static org.jocl.CL.*;

/**
 * The OpenCL backend, through JOCL: one context and one in-order queue on one device; tensors are
 * {@link OpenClTensor} buffers; the kernels are the portable ones of {@code kernels/portable}, which the
 * CUDA backend runs too, launched with the same {@link Launch} geometry and arguments, plus the
 * OpenCL-only tiled SGEMM ({@code kernels/opencl/sgemm.cl}) for GEMM and Gram (CUDA has cuBLAS), all
 * built as one program per backend. Reductions finish on the device, as on CUDA: one double partial per
 * work-group, then sum_partials into one double that the host reads.
 *
 * <p>The factorisations of small matrices ({@link #cholesky}, {@link #triangularSolve},
 * {@link #symmetricEigenTopK}, {@link #svd}) run on the host through {@link JavaBackend}: download,
 * compute in double, upload, as MAGMA does for its small panels. Their matrices are d x d or
 * out x in of one layer, so the transfer is small next to the GEMMs around them.
 *
 * <p>Not thread-safe: one thread drives a backend (kernel arguments are set on shared kernel objects).
 */
public final class OpenClBackend extends KernelBackend {
    // SGEMM tiling, passed to sgemm.cl as -D options: a work-group computes a TSM x TSN tile of c,
    // TSK deep per step, with (TSN / WPTN) x (TSM / WPTM) work-items of WPTM x WPTN results each.
    private static final int TSM = 64;
    private static final int TSN = 64;
    private static final int TSK = 16;
    private static final int WPTM = 8;
    private static final int WPTN = 8;
    /** Elements each reduction work-item takes at least, before more work-groups are used. */
    private static final int ELEMENTS_PER_ITEM = 8;
    private static final String SGEMM_SOURCE = "/kernels/opencl/sgemm.cl";

    private final JavaBackend host = new JavaBackend();
    private final Set<OpenClTensor> live = ConcurrentHashMap.newKeySet();
    /** CL_DEVICE_GLOBAL_MEM_SIZE (OpenCL has no query for what is free). */
    private final long globalMemory;
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private final String description;
    private cl_context context;
    private cl_command_queue queue;
    private cl_program program;
    private cl_mem partials;
    /** The one double sum_partials writes. */
    private cl_mem scalar;
    private boolean closed;

    /** The backend on device {@code device} of platform {@code platform} (indices as {@link #listDevices}). */
    public OpenClBackend(int platform, int device) {
        this(find(platform, device));
    }

    /** The backend on the default device: the first GPU if there is one, else the first device. */
    public OpenClBackend() {
        this(defaultDevice());
    }

    private OpenClBackend(Cl.DeviceRef ref) {
        globalMemory = ref.globalMemory();
        description = ref.name() + " (" + ref.typeName() + ", " + ref.platformName() + ", OpenCL " + ref.platformIndex()
                + ":" + ref.deviceIndex() + ")";
        try {
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL_CONTEXT_PLATFORM, ref.platform());
            cl_device_id[] devices = {ref.device()};
            context = Cl.call("clCreateContext", () -> clCreateContext(props, 1, devices, null, null, null));
            queue = Cl.call("clCreateCommandQueue", () -> createQueue(ref.device()));
            program = build(ref.device());
            partials = Cl.call("clCreateBuffer", () -> clCreateBuffer(context, CL_MEM_READ_WRITE,
                    (long) Launch.MAX_PARTIALS * Double.BYTES, null, null));
            scalar = Cl.call("clCreateBuffer", () -> clCreateBuffer(context, CL_MEM_READ_WRITE, Double.BYTES, null, null));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @SuppressWarnings("deprecation") // clCreateCommandQueueWithProperties needs OpenCL 2.0; 1.2 devices remain
    private cl_command_queue createQueue(cl_device_id device) {
        return clCreateCommandQueue(context, device, 0, null);
    }

    // ---------------------------------------------------------------- devices

    /**
     * The backend a {@code --backend} value names: {@code opencl} (the default device) or
     * {@code opencl:PLATFORM:DEVICE} (indices as {@code ger info --devices} lists them).
     */
    public static OpenClBackend open(String spec) {
        String s = spec == null ? "" : spec.strip();
        if (s.equals("opencl") || s.isEmpty()) {
            return new OpenClBackend();
        }
        String[] parts = s.split(":");
        if (parts.length != 3 || !parts[0].equals("opencl")) {
            throw new GerException("--backend " + spec + ": expected opencl or opencl:PLATFORM:DEVICE");
        }
        try {
            return new OpenClBackend(Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
        } catch (NumberFormatException e) {
            throw new GerException("--backend " + spec + ": PLATFORM and DEVICE must be integers (see ger info --devices)");
        }
    }

    /**
     * One line per OpenCL device: "PLATFORM:DEVICE name (type, platform), N compute units, M MiB global
     * memory". Empty when no platform is installed.
     *
     * @throws GerException when the OpenCL library cannot be loaded (see {@link #probe})
     */
    public static List<String> listDevices() {
        try {
            return Cl.devices().stream().map(Cl.DeviceRef::describe).toList();
        } catch (LinkageError e) {
            throw new GerException("OpenCL is not usable: " + rootMessage(e), e);
        }
    }

    /**
     * Checks for a usable OpenCL device without ever throwing (for {@code --backend auto}): whether OpenCL
     * works here, whether its default device is a GPU, and either that device or why not.
     */
    public static Probe probe() {
        try {
            Cl.DeviceRef device = defaultDevice();
            return new Probe(true, device.isGpu(), device.describe());
        } catch (LinkageError e) {
            return new Probe(false, false, "OpenCL is not usable: " + rootMessage(e)
                    + " (JOCL opens libOpenCL.so: install ocl-icd-opencl-dev, or put a libOpenCL.so link to libOpenCL.so.1 on"
                    + " LD_LIBRARY_PATH; and an ICD, e.g. pocl-opencl-icd)");
        } catch (RuntimeException e) {
            return new Probe(false, false, "OpenCL is not usable: " + rootMessage(e));
        }
    }

    /** {@code probe().available()}: never throws. */
    public static boolean available() {
        return probe().available();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    private static Cl.DeviceRef defaultDevice() {
        List<Cl.DeviceRef> all = Cl.devices();
        if (all.isEmpty()) {
            throw new GerException("no OpenCL platform with a device (install an ICD, e.g. pocl-opencl-icd)");
        }
        return all.stream().filter(Cl.DeviceRef::isGpu).findFirst().orElse(all.getFirst());
    }

    private static Cl.DeviceRef find(int platform, int device) {
        List<Cl.DeviceRef> all = Cl.devices();
        return all.stream().filter(d -> d.platformIndex() == platform && d.deviceIndex() == device).findFirst()
                .orElseThrow(() -> new GerException("no OpenCL device " + platform + ":" + device + "; devices: "
                        + (all.isEmpty() ? "none" : all.stream().map(Cl.DeviceRef::describe)
                        .collect(Collectors.joining("; ")))));
    }

    // ---------------------------------------------------------------- program and launches

    private cl_program build(cl_device_id device) {
        List<String> files = new ArrayList<>(KernelSources.openClSources());
        files.add(KernelSources.read(SGEMM_SOURCE));
        String[] sources = files.toArray(String[]::new);
        cl_program p = Cl.call("clCreateProgramWithSource",
                () -> clCreateProgramWithSource(context, sources.length, sources, null, null));
        String options = "-DTSM=" + TSM + " -DTSN=" + TSN + " -DTSK=" + TSK + " -DWPTM=" + WPTM + " -DWPTN=" + WPTN;
        try {
            clBuildProgram(p, 1, new cl_device_id[] {device}, options, null, null);
        } catch (CLException e) {
            String log = buildLog(p, device);
            clReleaseProgram(p);
            throw new GerException("OpenCL clBuildProgram of kernels/portable " + KernelSources.FILES + " and " + SGEMM_SOURCE + " failed on "
                    + description + " (" + stringFor_errorCode(e.getStatus()) + "):\n" + log, e);
        }
        return p;
    }

    private static String buildLog(cl_program p, cl_device_id device) {
        long[] size = new long[1];
        clGetProgramBuildInfo(p, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
        byte[] log = new byte[(int) size[0]];
        clGetProgramBuildInfo(p, device, CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
        return Cl.cString(log);
    }

    private cl_kernel kernel(KernelSignature kernel) {
        return kernels.computeIfAbsent(kernel.symbol(), symbol -> Cl.call("clCreateKernel(" + symbol + ")",
                () -> clCreateKernel(program, symbol, null)));
    }

    /** Sets the arguments (tensors, cl_mem, Integer as int, Long as ulong, Float) in order and enqueues the kernel. */
    private void launch(KernelSignature kernel, long[] global, long[] local, Object... args) {
        String name = kernel.symbol();
        if (args.length != kernel.parameters().length()) {
            throw new IllegalArgumentException("kernel " + name + ": " + args.length + " arguments for parameters "
                    + kernel.parameters());
        }
        cl_kernel k = kernel(kernel);
        for (int i = 0; i < args.length; i++) {
            int index = i;
            char expected = kernel.parameters().charAt(i);
            switch (args[i]) {
                case Tensor t when expected == 'p' -> Cl.run("clSetKernelArg", () -> clSetKernelArg(k, index, Sizeof.cl_mem, Pointer.to(mem(t))));
                case cl_mem m when expected == 'p' -> Cl.run("clSetKernelArg", () -> clSetKernelArg(k, index, Sizeof.cl_mem, Pointer.to(m)));
                case Integer v when expected == 'i' -> Cl.run("clSetKernelArg", () -> clSetKernelArg(k, index, Sizeof.cl_int, Pointer.to(new int[] {v})));
                case Long v when expected == 'u' -> Cl.run("clSetKernelArg", () -> clSetKernelArg(k, index, Sizeof.cl_ulong, Pointer.to(new long[] {v})));
                case Float v when expected == 'f' -> Cl.run("clSetKernelArg", () -> clSetKernelArg(k, index, Sizeof.cl_float, Pointer.to(new float[] {v})));
                default -> throw new IllegalArgumentException("kernel " + name + ": argument " + i + " (" + args[i]
                        + ") does not fit parameter '" + expected + "' of " + kernel.parameters());
            }
        }
        Cl.run("clEnqueueNDRangeKernel(" + name + ")",
                () -> clEnqueueNDRangeKernel(queue, k, global.length, null, global, local, 0, null, null));
    }

    /** A portable kernel with the geometry the CUDA backend launches it with (OpenClBackendConformanceTest.GlueKernels runs CUDA's glue kernels through it). */
    void launch(Kernel kernel, Launch geometry, Object... args) {
        launch(kernel, new long[] {(long) geometry.gridX() * geometry.blockX(), (long) geometry.gridY() * geometry.blockY()},
                new long[] {geometry.blockX(), geometry.blockY()}, args);
    }

    /**
     * The sum a reduction kernel computes over n elements: {@code leading} are its arguments before the
     * partials buffer; sum_partials then adds the partials on the device, and the host reads the one double.
     */
    private double reduce(Kernel kernel, long n, Object... leading) {
        int cap = (int) Math.min(Launch.MAX_PARTIALS, Math.ceilDiv(n, (long) Launch.BLOCK * ELEMENTS_PER_ITEM));
        Launch geometry = Launch.partials(n, cap);
        Object[] args = Arrays.copyOf(leading, leading.length + 1);
        args[leading.length] = partials;
        launch(kernel, geometry, args);
        launch(Kernel.SUM_PARTIALS, Launch.singleBlock(), partials, geometry.gridX(), scalar, 0);
        return readScalar(kernel);
    }

    private double readScalar(Kernel kernel) {
        double[] sum = new double[1];
        Cl.run("clEnqueueReadBuffer(" + kernel.symbol() + " sum)", () -> clEnqueueReadBuffer(queue, scalar, CL_TRUE, 0,
                Double.BYTES, Pointer.to(sum), 0, null, null));
        return sum[0];
    }

    private OpenClTensor t(Tensor x) {
        return DeviceTensor.owned(OpenClTensor.class, this, x);
    }

    private cl_mem mem(Tensor x) {
        return t(x).mem();
    }

    /** A read-only buffer holding a copy of ints (row indices, labels); release it after use. */
    private cl_mem intBuffer(int[] values) {
        return Cl.call("clCreateBuffer", () -> clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                (long) values.length * Sizeof.cl_int, Pointer.to(values), null));
    }

    private static void release(cl_mem m) {
        Cl.run("clReleaseMemObject", () -> clReleaseMemObject(m));
    }

    void forget(OpenClTensor t) {
        live.remove(t);
    }

    // ---------------------------------------------------------------- Backend: identity

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public String device() {
        return description;
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Tensor allocate(int rows, int cols) {
        long n = (long) rows * cols;
        if (rows < 0 || cols < 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("opencl: cannot allocate " + rows + " x " + cols
                    + " (kernels index elements with 32-bit ints)");
        }
        // An empty tensor still gets a 4-byte buffer: OpenCL has no zero-sized buffers.
        cl_mem m = Cl.call("clCreateBuffer(" + rows + " x " + cols + ")", () -> clCreateBuffer(context,
                CL_MEM_READ_WRITE, Math.max(1, n) * Float.BYTES, null, null));
        OpenClTensor t = new OpenClTensor(this, rows, cols, m);
        live.add(t);
        return t;
    }

    @Override
    public long freeMemory() {
        return globalMemory - live.stream().mapToLong(OpenClTensor::byteSize).sum();
    }

    @Override
    public Tensor upload(Matrix src) {
        Tensor t = allocate(src.rows(), src.cols());
        write(src, t);
        return t;
    }

    @Override
    protected void implUploadRows(Matrix src, int srcRow, Tensor dst, int dstRow, int count) {
        long rowBytes = (long) src.cols() * Float.BYTES;
        transfer(true, t(dst), dstRow * rowBytes, src.segment().asSlice(srcRow * rowBytes, count * rowBytes));
    }

    @Override
    protected void implDownloadRows(Tensor src, int srcRow, Matrix dst, int dstRow, int count) {
        long rowBytes = (long) src.cols() * Float.BYTES;
        transfer(false, t(src), srcRow * rowBytes, dst.segment().asSlice(dstRow * rowBytes, count * rowBytes));
    }

    /** Host matrix into the tensor of the same shape, blocking. */
    private void write(Matrix src, Tensor dst) {
        Shapes.same("upload", src, dst);
        transfer(true, t(dst), 0, src.segment());
    }

    /**
     * A blocking copy between host memory and the tensor's bytes from deviceOffset on, in chunks a
     * ByteBuffer can address.
     */
    private void transfer(boolean toDevice, OpenClTensor t, long deviceOffset, MemorySegment host) {
        long total = host.byteSize();
        long chunk = 1L << 30;
        for (long off = 0; off < total; off += chunk) {
            long offset = deviceOffset + off;
            long bytes = Math.min(chunk, total - off);
            Pointer p = Pointer.to(host.asSlice(off, bytes).asByteBuffer());
            if (toDevice) {
                Cl.run("clEnqueueWriteBuffer", () -> clEnqueueWriteBuffer(queue, t.mem(), CL_TRUE, offset, bytes, p, 0, null, null));
            } else {
                Cl.run("clEnqueueReadBuffer", () -> clEnqueueReadBuffer(queue, t.mem(), CL_TRUE, offset, bytes, p, 0, null, null));
            }
        }
    }

    @Override
    protected void implCopyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        long rowBytes = (long) src.cols() * Float.BYTES;
        if (count == 0 || rowBytes == 0) {
            return;
        }
        Cl.run("clEnqueueCopyBuffer", () -> clEnqueueCopyBuffer(queue, mem(src), mem(dst), srcRow * rowBytes,
                dstRow * rowBytes, count * rowBytes, 0, null, null));
    }

    @Override
    protected void implGatherRows(Tensor src, int[] rows, Tensor dst) {
        if (dst.size() == 0) {
            return;
        }
        cl_mem index = intBuffer(rows);
        try {
            launch(Kernel.GATHER_ROWS, Launch.strided(dst.size()), src, src.cols(), index, rows.length, dst);
        } finally {
            release(index); // OpenCL keeps it alive until the queued kernel is done
        }
    }

    @Override
    protected void implTranspose(Tensor src, Tensor dst) {
        if (src.size() > 0) {
            launch(Kernel.TRANSPOSE, Launch.transpose(src.rows(), src.cols()), src, src.rows(), src.cols(), dst);
        }
    }

    @Override
    public void fill(Tensor x, float value) {
        if (x.size() > 0) {
            Cl.run("clEnqueueFillBuffer", () -> clEnqueueFillBuffer(queue, mem(x), Pointer.to(new float[] {value}), Sizeof.cl_float,
                    0, x.size() * Sizeof.cl_float, 0, null, null));
        }
    }

    // ---------------------------------------------------------------- BLAS

    @Override
    protected void implGemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        int m = c.rows(); // c is op(a) op(b), m x n, as CheckedBackend checked
        int n = c.cols();
        int k = transA ? a.rows() : a.cols();
        if (m == 0 || n == 0) {
            return;
        }
        ClKernel kernel = ClKernel.sgemm(transA, transB);
        long[] local = {TSN / WPTN, TSM / WPTM};
        long[] global = {Math.ceilDiv(n, TSN) * local[0], Math.ceilDiv(m, TSM) * local[1]};
        launch(kernel, global, local, m, n, k, alpha, a, b, beta, c);
    }

    @Override
    protected void implGram(Tensor x, float beta, Tensor c) {
        gemm(true, false, 1f, x, x, beta, c);
    }

    @Override
    protected void implAxpy(float alpha, Tensor x, Tensor y) {
        launch(Kernel.AXPY, Launch.strided(x.size()), alpha, x, y, x.size());
    }

    @Override
    public void scale(Tensor x, float alpha) {
        launch(Kernel.SCALE, Launch.strided(x.size()), x, alpha, x.size());
    }

    // ---------------------------------------------------------------- factorisations, on the host

    @Override
    protected void implCholesky(Tensor a) {
        try (Matrix m = download(a)) {
            host.cholesky(m);
            write(m, a);
        }
    }

    @Override
    protected void implTriangularSolve(Tensor l, boolean transposeL, Tensor b) {
        try (Matrix lh = download(l); Matrix bh = download(b)) {
            host.triangularSolve(lh, transposeL, bh);
            write(bh, b);
        }
    }

    @Override
    protected Eigen implSymmetricEigenTopK(Tensor s, int k) {
        try (Matrix sh = download(s); Eigen e = host.symmetricEigenTopK(sh, k)) {
            return new Eigen(e.values(), upload((Matrix) e.vectors()));
        }
    }

    @Override
    protected Svd implSvd(Tensor a, int k) {
        try (Matrix ah = download(a); Svd s = host.svd(ah, k)) {
            Tensor u = upload((Matrix) s.u());
            try {
                return new Svd(u, s.s(), upload((Matrix) s.vt()));
            } catch (RuntimeException e) {
                u.close();
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------- element-wise and reductions

    @Override
    protected void implAddBiasRelu(Tensor a, Tensor bias, boolean relu) {
        launch(Kernel.ADD_BIAS_RELU, Launch.strided(a.size()), a, bias, a.rows(), a.cols(), relu ? 1 : 0);
    }

    @Override
    protected void implAddRowVector(Tensor x, float alpha, Tensor v) {
        launch(Kernel.ADD_ROW_VECTOR, Launch.strided(x.size()), x, alpha, v, x.rows(), x.cols());
    }

    @Override
    protected void scaledColumnSums(Tensor x, Tensor sums, float scale) {
        if (x.cols() == 0) {
            return;
        }
        Launch slices = Launch.columnSums(x.rows(), x.cols());
        long bytes = (long) slices.gridY() * x.cols() * Double.BYTES;
        cl_mem partial = Cl.call("clCreateBuffer", () -> clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null));
        try {
            launch(Kernel.COLUMN_SUMS, slices, x, x.rows(), x.cols(), Launch.sliceRows(x.rows(), slices), partial);
            launch(Kernel.COLUMN_SUMS_FINISH, Launch.strided(x.cols()), partial, slices.gridY(), x.cols(), scale, sums);
        } finally {
            release(partial);
        }
    }

    @Override
    protected void implAddDiagonal(Tensor a, float value) {
        launch(Kernel.ADD_DIAGONAL, Launch.strided(a.rows()), a, a.rows(), value);
    }

    @Override
    protected double implTrace(Tensor a) {
        launch(Kernel.TRACE, Launch.singleBlock(), a, a.rows(), scalar);
        return readScalar(Kernel.TRACE);
    }

    @Override
    protected double implSquaredError(Tensor a, Tensor b) {
        return reduce(Kernel.SQUARED_ERROR, a.size(), a, b, a.size());
    }

    @Override
    public double squaredNorm(Tensor a) {
        return reduce(Kernel.SQUARED_NORM, a.size(), a, a.size());
    }

    @Override
    protected double implErrorGradient(Tensor out, Tensor target, float scale, Tensor delta) {
        return reduce(Kernel.ERROR_GRADIENT, out.size(), out, target, scale, delta, out.size());
    }

    @Override
    protected void implReluBackward(Tensor grad, Tensor activation) {
        launch(Kernel.RELU_BACKWARD, Launch.strided(grad.size()), grad, activation, grad.size());
    }

    @Override
    protected double implReluPenalty(Tensor yPrime, Tensor preActivation, float lambda, Tensor z) {
        return reduce(Kernel.RELU_PENALTY, z.size(), yPrime, preActivation, lambda, z, z.size());
    }

    @Override
    protected long[] implTopkCorrect(Tensor logits, int[] labels, int[] ks) {
        int rows = logits.rows();
        if (rows == 0) {
            return new long[ks.length];
        }
        int[] above = new int[rows];
        cl_mem labelBuffer = intBuffer(labels);
        cl_mem aboveBuffer = null;
        try {
            aboveBuffer = Cl.call("clCreateBuffer", () -> clCreateBuffer(context, CL_MEM_WRITE_ONLY,
                    (long) rows * Sizeof.cl_int, null, null));
            launch(Kernel.TOPK_RANK, Launch.lanesPerRow(rows), logits, rows, logits.cols(), labelBuffer, aboveBuffer);
            cl_mem result = aboveBuffer;
            Cl.run("clEnqueueReadBuffer(topk_rank)", () -> clEnqueueReadBuffer(queue, result, CL_TRUE, 0,
                    (long) rows * Sizeof.cl_int, Pointer.to(above), 0, null, null));
        } finally {
            release(labelBuffer);
            if (aboveBuffer != null) {
                release(aboveBuffer);
            }
        }
        return TopK.correct(above, ks);
    }

    // ---------------------------------------------------------------- SGD

    @Override
    protected void implSgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay) {
        launch(Kernel.SGD_UPDATE, Launch.strided(param.size()), param, grad, velocity, lr, momentum, weightDecay, param.size());
    }

    // ---------------------------------------------------------------- lifetime

    @Override
    public void synchronize() {
        Cl.run("clFinish", () -> clFinish(queue));
    }

    /** Releases every tensor still open, the kernels, the program, the queue and the context. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (OpenClTensor t : new ArrayList<>(live)) {
            t.close();
        }
        kernels.values().forEach(k -> Cl.run("clReleaseKernel", () -> clReleaseKernel(k)));
        kernels.clear();
        if (partials != null) {
            release(partials);
        }
        if (scalar != null) {
            release(scalar);
        }
        if (program != null) {
            Cl.run("clReleaseProgram", () -> clReleaseProgram(program));
        }
        if (queue != null) {
            Cl.run("clReleaseCommandQueue", () -> clReleaseCommandQueue(queue));
        }
        if (context != null) {
            Cl.run("clReleaseContext", () -> clReleaseContext(context));
        }
    }
}
