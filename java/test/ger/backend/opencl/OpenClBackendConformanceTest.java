package ger.backend.opencl;

import ger.backend.Backend;
import ger.backend.BackendConformance;
import ger.backend.java.Tf32Split;
import ger.backend.kernel.Kernel;
import ger.backend.kernel.Launch;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The conformance suite on the OpenCL backend's default device; skipped where OpenCL is missing. */
class OpenClBackendConformanceTest extends BackendConformance {
    private OpenClBackend backend;

    @BeforeAll
    void open() {
        backend = DefaultDevice.openOrSkip();
    }

    @Override
    public Backend backend() {
        return backend;
    }

    /**
     * The portable kernels only the CUDA backend launches (its glue around cuBLAS and cuSOLVER, and the
     * 3xTF32 split), run here with the CUDA backend's launch geometry and checked element by element
     * against their definitions, so their logic is tested on every run, GPU or not.
     */
    @Nested
    class GlueKernels {
        private final long seed = System.nanoTime();
        private final Random random = new Random(seed);

        private Matrix randomMatrix(int rows, int cols) {
            Matrix m = Matrix.zeros(rows, cols);
            for (long i = 0; i < m.size(); i++) {
                m.setFlat(i, (float) random.nextGaussian());
            }
            return m;
        }

        private String tag(String what) {
            return what + " (seed " + seed + ")";
        }

        @Test
        void copyBlockCopiesTheBlockAndNothingElse() {
            int rows = 1 + random.nextInt(70);
            int cols = 1 + random.nextInt(40);
            Matrix src = randomMatrix(rows, cols + random.nextInt(9));
            Matrix dst = randomMatrix(rows, cols + random.nextInt(9));
            try (Tensor s = backend.upload(src); Tensor d = backend.upload(dst)) {
                backend.launch(Kernel.COPY_BLOCK, Launch.strided((long) rows * cols), s, src.cols(), d, dst.cols(), rows, cols);
                Matrix out = backend.download(d);
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < dst.cols(); j++) {
                        assertEquals(j < cols ? src.get(i, j) : dst.get(i, j), out.get(i, j), tag("copy_block (" + i + ", " + j + ")"));
                    }
                }
            }
        }

        @Test
        void eigvecsTopKTakesTheLastRowsAsColumns() {
            int d = 1 + random.nextInt(60);
            int k = 1 + random.nextInt(d);
            Matrix src = randomMatrix(d, d);
            try (Tensor s = backend.upload(src); Tensor t = backend.allocate(d, k)) {
                backend.launch(Kernel.EIGVECS_TOP_K, Launch.strided((long) d * k), s, d, k, t);
                Matrix out = backend.download(t);
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < k; j++) {
                        assertEquals(src.get(d - 1 - j, i), out.get(i, j), tag("eigvecs_top_k (" + i + ", " + j + ")"));
                    }
                }
            }
        }

        @Test
        void mirrorAndZeroUpperTouchOneTriangleEach() {
            int d = 1 + random.nextInt(80);
            Matrix a = randomMatrix(d, d);
            try (Tensor mirrored = backend.upload(a); Tensor lower = backend.upload(a)) {
                backend.launch(Kernel.MIRROR_UPPER_TO_LOWER, Launch.strided((long) d * d), mirrored, d);
                backend.launch(Kernel.ZERO_UPPER, Launch.strided((long) d * d), lower, d);
                Matrix m = backend.download(mirrored);
                Matrix z = backend.download(lower);
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        assertEquals(i > j ? a.get(j, i) : a.get(i, j), m.get(i, j), tag("mirror_upper_to_lower (" + i + ", " + j + ")"));
                        assertEquals(i < j ? 0f : a.get(i, j), z.get(i, j), tag("zero_upper (" + i + ", " + j + ")"));
                    }
                }
            }
        }

        @Test
        void tf32SplitMatchesTheReferenceBitForBit() {
            int n = 1 + random.nextInt(5000);
            Matrix x = Matrix.zeros(1, n);
            for (int i = 0; i < n; i++) {
                // normal magnitudes from 1e-30 to 1e30 (a CPU device may flush subnormal remainders)
                x.setFlat(i, (float) (Math.signum(random.nextGaussian()) * Math.pow(10, 60 * random.nextDouble() - 30)));
            }
            float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
                    Float.MAX_VALUE, Float.intBitsToFloat(0x3f801000), Float.intBitsToFloat(0xbf801000)};
            for (int i = 0; i < Math.min(n, special.length); i++) {
                x.setFlat(i, special[i]); // ties (0x..1000) round away from zero; MAX_VALUE rounds to infinity
            }
            try (Tensor t = backend.upload(x); Tensor hi = backend.allocate(1, n); Tensor lo = backend.allocate(1, n)) {
                backend.launch(Kernel.TF32_SPLIT, Launch.strided(n), t, hi, lo, (long) n);
                Matrix h = backend.download(hi);
                Matrix l = backend.download(lo);
                for (int i = 0; i < n; i++) {
                    float v = x.getFlat(i);
                    assertEquals(Float.floatToIntBits(Tf32Split.round(v)), Float.floatToIntBits(h.getFlat(i)), tag("tf32_split hi of " + v));
                    assertEquals(Float.floatToIntBits(Tf32Split.low(v)), Float.floatToIntBits(l.getFlat(i)), tag("tf32_split lo of " + v));
                }
            }
        }
    }
}
