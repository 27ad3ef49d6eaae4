package ger.backend.cuda;

import ger.backend.Backend;
import ger.backend.cuda.internal.KernelModule;
import ger.backend.java.JavaBackend;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the conformance suite does not reach: sizes that need many blocks (grid-stride loops, 1024
 * partials, tiles at the edges), the NVRTC path, other threads, ownership and lifecycle. The
 * reference is the java backend. Skipped without a GPU.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaBackendTest {
    private CudaBackend cuda;
    private final JavaBackend java = new JavaBackend();
    /** Each test's seed, named in its failure messages, and the random numbers drawn from it. */
    private long seed;
    private Random r;

    @BeforeAll
    void open() {
        if (CudaBackend.available()) {
            cuda = new CudaBackend();
        }
    }

    @BeforeEach
    void requireGpu() {
        Assumptions.assumeTrue(cuda != null, CudaBackend.probe().detail());
    }

    @BeforeEach
    void drawSeed() {
        seed = System.nanoTime();
        r = new Random(seed);
    }

    @AfterAll
    void close() {
        if (cuda != null) {
            cuda.close();
        }
    }

    private static Matrix gaussian(Random r, int rows, int cols) {
        Matrix m = Matrix.zeros(rows, cols);
        for (long i = 0; i < m.size(); i++) {
            m.setFlat(i, (float) r.nextGaussian());
        }
        return m;
    }

    private static void assertRelative(double expected, double got, double tol, String what) {
        assertTrue(Math.abs(got - expected) <= tol * Math.max(1, Math.abs(expected)), what + ": " + got + " vs " + expected);
    }

    @Test
    void namesTheDevice() {
        assertEquals("cuda", cuda.name());
        assertFalse(cuda.device().isBlank());
        assertTrue(cuda.deviceDetails().contains("sm_"), cuda.deviceDetails());
    }

    /** Freed memory goes back to the pool, which keeps it: freeMemory must count it as free again. */
    @Test
    void freeMemoryCountsWhatThePoolHoldsIdle() {
        long before = cuda.freeMemory();
        long bytes = Math.min(1L << 30, before / 4);
        int rows = (int) (bytes / Float.BYTES / 1024);
        ger.tensor.Tensor big = cuda.allocate(rows, 1024);
        cuda.fill(big, 1f);
        long during = cuda.freeMemory();
        big.close();
        long after = cuda.freeMemory();
        long slack = 64L << 20; // other allocations of the driver and the libraries
        assertTrue(during <= before - (long) rows * 1024 * Float.BYTES + slack, before + " then " + during);
        assertTrue(after >= before - slack, "free memory " + before + " before, " + after + " after freeing " + bytes + " bytes");
    }

    @Test
    void largeReductionsMatchDoubleReferences() {
        int n = 1531;
        int d = 2003; // 3.07M elements: 1024 partials, each thread looping
        try (Matrix a = gaussian(r, n, d); Matrix b = gaussian(r, n, d);
             Tensor ta = cuda.upload(a); Tensor tb = cuda.upload(b); Tensor z = cuda.allocate(n, d)) {
            assertRelative(java.squaredNorm(a), cuda.squaredNorm(ta), 1e-9, "squaredNorm seed " + seed);
            assertRelative(java.squaredError(a, b), cuda.squaredError(ta, tb), 1e-9, "squaredError seed " + seed);
            float lambda = 0.3f + r.nextFloat();
            try (Matrix zj = Matrix.zeros(n, d)) {
                double expected = java.reluPenalty(a, b, lambda, zj);
                assertRelative(expected, cuda.reluPenalty(ta, tb, lambda, z), 1e-9, "reluPenalty seed " + seed);
                try (Matrix zc = cuda.download(z)) {
                    assertArrayEquals(zj.toArray(), zc.toArray(), "reluPenalty z, bit for bit (--fmad=false), seed " + seed);
                }
            }
            // delta aliasing out, as errorGradient allows
            double expected = java.errorGradient(a, b, 0.5f, a);
            assertRelative(expected, cuda.errorGradient(ta, tb, 0.5f, ta), 1e-9, "errorGradient seed " + seed);
            try (Matrix got = cuda.download(ta)) {
                assertArrayEquals(a.toArray(), got.toArray(), "errorGradient delta in place, seed " + seed);
            }
        }
    }

    @Test
    void layoutKernelsOnLargeOddShapes() {
        int rows = 1031;
        int cols = 2999;
        try (Matrix a = gaussian(r, rows, cols); Tensor ta = cuda.upload(a); Tensor tt = cuda.allocate(cols, rows);
             Matrix expected = a.transpose()) {
            cuda.transpose(ta, tt);
            try (Matrix got = cuda.download(tt)) {
                assertArrayEquals(expected.toArray(), got.toArray(), "transpose seed " + seed);
            }
            int[] picks = r.ints(4001, 0, rows).toArray();
            try (Tensor g = cuda.allocate(picks.length, cols); Matrix gj = Matrix.zeros(picks.length, cols)) {
                cuda.gatherRows(ta, picks, g);
                java.gatherRows(a, picks, gj);
                try (Matrix got = cuda.download(g)) {
                    assertArrayEquals(gj.toArray(), got.toArray(), "gatherRows seed " + seed);
                }
            }
            try (Tensor sums = cuda.allocate(1, cols); Matrix sj = Matrix.zeros(1, cols)) {
                cuda.columnSums(ta, sums);
                java.columnSums(a, sj);
                try (Matrix got = cuda.download(sums)) {
                    for (int j = 0; j < cols; j++) {
                        assertRelative(sj.get(0, j), got.get(0, j), 1e-6, "columnSums(" + j + ") seed " + seed);
                    }
                }
            }
        }
    }

    @Test
    void topkOnManyRows() {
        int n = 5003;
        int c = 1000;
        try (Matrix logits = Matrix.zeros(n, c)) {
            for (long i = 0; i < logits.size(); i++) {
                logits.setFlat(i, r.nextInt(50));
            }
            int[] labels = r.ints(n, 0, c).toArray();
            int[] ks = {1, 5, 10, 999, 1000};
            try (Tensor t = cuda.upload(logits)) {
                assertArrayEquals(java.topkCorrect(logits, labels, ks), cuda.topkCorrect(t, labels, ks), "seed " + seed);
            }
        }
    }

    /** The NVRTC path gives the same results as the fatbin (run with -Dger.cuda.fatbin to compare both). */
    @Test
    void kernelsCompiledByNvrtcWork() {
        String fatbin = System.clearProperty(KernelModule.FATBIN_PROPERTY);
        try (CudaBackend viaNvrtc = new CudaBackend(); Matrix a = gaussian(r, 333, 77); Tensor t = viaNvrtc.upload(a)) {
            assertTrue(viaNvrtc.deviceDetails().contains("NVRTC") || viaNvrtc.deviceDetails().contains("classpath"),
                    viaNvrtc.deviceDetails());
            assertRelative(java.squaredNorm(a), viaNvrtc.squaredNorm(t), 1e-9, "squaredNorm via NVRTC, seed " + seed);
        } finally {
            if (fatbin != null) {
                System.setProperty(KernelModule.FATBIN_PROPERTY, fatbin);
            }
        }
    }

    @Test
    void worksFromAnotherThread() throws Exception {
        try (Matrix a = gaussian(r, 100, 100); Tensor t = cuda.upload(a)) {
            double expected = java.squaredNorm(a);
            double got = CompletableFuture.supplyAsync(() -> cuda.squaredNorm(t), Thread::startVirtualThread).get();
            assertRelative(expected, got, 1e-9, "squaredNorm from another thread, seed " + seed);
        }
    }

    @Test
    void ownershipAndLifecycle() {
        try (Matrix host = Matrix.zeros(3, 3)) {
            IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> cuda.scale(host, 2f));
            assertTrue(foreign.getMessage().contains("does not own"), foreign.getMessage());
        }
        CudaTensor t = cuda.allocate(5, 7);
        t.close();
        t.close(); // idempotent
        assertThrows(IllegalStateException.class, t::address);

        Backend other = new CudaBackend();
        Tensor leaked = other.allocate(64, 64);
        other.fill(leaked, 1f);
        other.close(); // frees leaked
        leaked.close(); // harmless afterwards
        assertThrows(IllegalStateException.class, () -> other.allocate(1, 1));
    }

    @Test
    void eventsTimeQueuedWork() {
        try (Tensor a = cuda.allocate(512, 512); Tensor c = cuda.allocate(512, 512);
             Backend.Range range = cuda.range("ger timed gemm")) {
            cuda.fill(a, 0.5f);
            float ms = cuda.timeMillis(() -> cuda.gemm(false, false, 1f, a, a, 0f, c));
            assertTrue(ms > 0 && ms < 10_000, "gemm took " + ms + " ms");
        }
    }
}
