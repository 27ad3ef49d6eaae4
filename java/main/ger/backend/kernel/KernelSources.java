package ger.backend.kernel;

import ger.GerException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The portable kernel sources, packaged in the jar under kernels/ (pom.xml copies the folder): the
 * dialect header and one file per family of operations. CUDA compiles them as the one translation unit
 * kernels/cuda/ger_kernels.cu includes (nvcc through native/Makefile, or NVRTC at run time, with the
 * same options); OpenCL as one program of the same files in the same order.
 */
public final class KernelSources {
    /** Classpath folder of the portable sources. */
    public static final String PORTABLE_DIR = "/kernels/portable/";
    public static final String DIALECT = "dialect.h";
    /** Every kernels/portable file but the dialect, in include order (sorted; KernelSourcesTest checks the folder). */
    public static final List<String> FILES = List.of(
            "elementwise.h", "layout.h", "reductions.h", "relu_penalty.h", "row_vector.h", "tf32_split.h", "topk.h", "triangle.h");
    /** The CUDA translation unit: includes the dialect and every file. */
    public static final String CUDA_UNIT = "/kernels/cuda/ger_kernels.cu";
    /** nvcc and NVRTC options shared with native/Makefile (besides the architecture). */
    public static final List<String> CUDA_OPTIONS = List.of("--std=c++17", "--fmad=false");

    private KernelSources() {
    }

    /** The CUDA translation unit's text (its includes name {@link #headers()}' keys). */
    public static String cudaUnit() {
        return read(CUDA_UNIT);
    }

    /** Every portable source by include name: the dialect, then the kernel files. */
    public static Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(DIALECT, read(PORTABLE_DIR + DIALECT));
        for (String file : FILES) {
            headers.put(file, read(PORTABLE_DIR + file));
        }
        return headers;
    }

    /** The OpenCL program's sources, one string per file, in the CUDA unit's order. */
    public static List<String> openClSources() {
        return List.copyOf(headers().values());
    }

    /** One packaged source file. */
    public static String read(String resource) {
        try (InputStream in = KernelSources.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new GerException("kernel source " + resource + " is not on the classpath (is the jar complete?)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GerException("cannot read kernel source " + resource + ": " + e.getMessage(), e);
        }
    }
}
