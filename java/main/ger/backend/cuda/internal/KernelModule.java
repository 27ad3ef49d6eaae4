package ger.backend.cuda.internal;

import ger.backend.kernel.Kernel;
import ger.backend.kernel.KernelSources;
import ger.backend.kernel.Launch;

import ger.backend.cuda.CudaException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * ger's kernels loaded into the current context, from the first of:
 * <ol>
 *   <li>the fatbin named by the system property {@value #FATBIN_PROPERTY} (built by native/Makefile);</li>
 *   <li>a fatbin packaged on the classpath at {@code kernels/cuda/ger_kernels.fatbin};</li>
 *   <li>the packaged sources (kernels/cuda/ger_kernels.cu) compiled by NVRTC for the device's compute capability.</li>
 * </ol>
 * A fatbin the driver rejects (no code for this GPU) falls through to NVRTC; if that fails too, the
 * message carries both reasons.
 */
public final class KernelModule implements AutoCloseable {
    public static final String FATBIN_PROPERTY = "ger.cuda.fatbin";
    static final String FATBIN_RESOURCE = "/kernels/cuda/ger_kernels.fatbin";

    private final Driver driver;
    private final MemorySegment module;
    private final String origin;
    private final Map<Kernel, MemorySegment> functions = new EnumMap<>(Kernel.class);

    private KernelModule(Driver driver, MemorySegment module, String origin) {
        this.driver = driver;
        this.module = module;
        this.origin = origin;
    }

    /** Loads the kernels for a device of compute capability major.minor into the current context. */
    public static KernelModule load(Driver driver, int major, int minor) {
        List<String> failures = new ArrayList<>();
        String property = System.getProperty(FATBIN_PROPERTY);
        if (property != null && !property.isBlank()) {
            Path path = Path.of(property);
            if (!Files.isRegularFile(path)) {
                throw new CudaException("-D" + FATBIN_PROPERTY + "=" + property + ": no such file");
            }
            try {
                return fromImage(driver, Files.readAllBytes(path), "fatbin " + path);
            } catch (IOException | CudaException e) {
                failures.add("fatbin " + path + ": " + e.getMessage());
            }
        } else {
            byte[] packaged = packagedFatbin();
            if (packaged != null) {
                try {
                    return fromImage(driver, packaged, "fatbin classpath:" + FATBIN_RESOURCE);
                } catch (CudaException e) {
                    failures.add("classpath:" + FATBIN_RESOURCE + ": " + e.getMessage());
                }
            }
        }
        String arch = "compute_" + major + minor;
        try {
            List<String> options = new ArrayList<>(KernelSources.CUDA_OPTIONS);
            options.add("--gpu-architecture=" + arch);
            byte[] ptx = Nvrtc.get().compileToPtx("ger_kernels.cu", KernelSources.cudaUnit(), KernelSources.headers(), options);
            return fromImage(driver, ptx, "NVRTC PTX for " + arch);
        } catch (CudaException e) {
            failures.add("NVRTC for " + arch + ": " + e.getMessage());
        }
        throw new CudaException("cannot load ger's CUDA kernels: " + String.join("; ", failures)
                + ". Build native/build/ger_kernels.fatbin (make -C native) and pass -D" + FATBIN_PROPERTY + "=<path>,"
                + " or install NVRTC.");
    }

    private static byte[] packagedFatbin() {
        try (InputStream in = KernelModule.class.getResourceAsStream(FATBIN_RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new CudaException("cannot read classpath:" + FATBIN_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    private static KernelModule fromImage(Driver driver, byte[] image, String origin) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copy = arena.allocate(image.length, 8);
            copy.copyFrom(MemorySegment.ofArray(image));
            return new KernelModule(driver, driver.moduleLoadData(copy), origin);
        }
    }

    /** Where the kernels came from, e.g. "fatbin /path/ger_kernels.fatbin" or "NVRTC PTX for compute_90". */
    public String origin() {
        return origin;
    }

    /** The blocks of {@code blockSize} threads of {@code kernel} that one SM holds at once (its occupancy). */
    public int residentBlocksPerMultiprocessor(Kernel kernel, int blockSize) {
        return driver.residentBlocksPerMultiprocessor(function(kernel), blockSize);
    }

    private MemorySegment function(Kernel kernel) {
        return functions.computeIfAbsent(kernel, k -> driver.moduleGetFunction(module, k.symbol()));
    }

    /** Queues {@code kernel} on {@code stream}; {@code args} as {@link Kernel#parameters()} says. */
    public void launch(Kernel kernel, Launch geometry, MemorySegment stream, Object... args) {
        MemorySegment function = function(kernel);
        try (Arena arena = Arena.ofConfined()) {
            driver.launch(function, kernel.symbol(), geometry, stream, KernelArgs.pack(kernel, args, arena));
        }
    }

    @Override
    public void close() {
        driver.moduleUnload(module);
    }
}
