package ger.backend.cuda.internal;

import ger.backend.cuda.CudaException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CUDA kernel sources, packaged in the jar under kernels/cuda/ (pom.xml copies the kernels
 * folder). NVRTC compiles them as one program that includes every file, the same translation unit
 * native/Makefile builds with nvcc, and with the same options.
 */
public final class KernelSources {
    /** Classpath folder of the sources (and of a packaged fatbin). */
    public static final String RESOURCE_DIR = "/kernels/cuda/";
    public static final String HEADER = "common.cuh";
    /** Every kernels/cuda/*.cu, sorted as the Makefile sorts them (KernelSourcesTest checks the folder). */
    public static final List<String> FILES = List.of(
            "elementwise.cu", "layout.cu", "reductions.cu", "relu_penalty.cu", "row_vector.cu", "tf32_split.cu", "topk.cu", "triangle.cu");
    /** Compiler options shared with native/Makefile (besides the architecture). */
    public static final List<String> OPTIONS = List.of("--std=c++17", "--fmad=false");

    private KernelSources() {
    }

    /** The program NVRTC compiles: one include per kernel file. */
    public static String program() {
        StringBuilder s = new StringBuilder();
        for (String file : FILES) {
            s.append("#include \"").append(file).append("\"\n");
        }
        return s.toString();
    }

    /** Every source by include name: the header and the kernel files. */
    public static Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(HEADER, read(HEADER));
        for (String file : FILES) {
            headers.put(file, read(file));
        }
        return headers;
    }

    /** One source file from the classpath. */
    public static String read(String file) {
        try (InputStream in = KernelSources.class.getResourceAsStream(RESOURCE_DIR + file)) {
            if (in == null) {
                throw new CudaException("kernel source " + RESOURCE_DIR + file + " is not on the classpath (is the jar complete?)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CudaException("cannot read kernel source " + RESOURCE_DIR + file + ": " + e.getMessage(), e);
        }
    }
}
