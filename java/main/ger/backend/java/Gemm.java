package ger.backend.java;

import ger.tensor.Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/**
 * c = alpha op(a) op(b) + beta c on host matrices (op(a) m x k, op(b) k x n, c m x n), blocked the
 * way BLIS does it: c is first scaled by beta (or zeroed, so NaN in c cannot leak through), then for
 * each KC-deep slice the slice of op(b) is packed into NR-wide column panels, each block of MC rows of
 * op(a) into MR-tall row panels (the transposes are absorbed by the packing), and an MR x NR register
 * tile of c is accumulated with vector FMAs. Blocks of rows of c run in parallel.
 * Conformance: ger.backend.GemmConformance.
 */
final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Register tile: MR rows x NR = 2 vectors; 12 accumulators leave room for operands in 16 or 32 registers. */
    private static final int MR = 6;
    private static final int NR = 2 * L;
    /**
     * Depth of one slice (a KC x NR panel of b, 32 KiB with 512-bit vectors, is re-read from L1/L2 for
     * every MR rows). KC, MC and NC were picked by timing 1024^3 on a 2-core Zen 4 (AVX-512):
     * bench/results/java-gemm.md.
     */
    private static final int KC = 256;
    /** Most rows of a in one packed block (its MC x KC panel, 144 KiB, stays in L2). */
    private static final int MC_MAX = 24 * MR;
    /** Columns of b packed at once (KC x NC, 2 MiB, in L2/L3). */
    private static final int NC = 2048;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int THREADS = Runtime.getRuntime().availableProcessors();
    private static final ThreadLocal<float[]> A_PANEL = ThreadLocal.withInitial(() -> new float[MC_MAX * KC]);
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[Math.max(KC, MC_MAX)]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    private Gemm() {
    }

    static void gemm(boolean transA, boolean transB, float alpha, Matrix a, Matrix b, float beta, Matrix c) {
        multiply(transA, transB, alpha, a, b, beta, c, false);
    }

    /**
     * The Gram matrix c = x^T x + beta c (x n x d, c d x d) at half the cost of a gemm: only the tiles
     * that touch the lower triangle are computed (a SYRK), then mirrored.
     */
    static void gram(Matrix x, float beta, Matrix c) {
        if (beta == 0f) {
            syrk(x, c);
            return;
        }
        try (Matrix product = Matrix.zeros(c.rows(), c.cols())) { // beta c need not be symmetric
            syrk(x, product);
            MemorySegment p = product.segment();
            MemorySegment seg = c.segment();
            long n = c.size();
            for (long i = 0; i < n; i += L) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                long off = i * Float.BYTES;
                FloatVector.fromMemorySegment(S, seg, off, ORDER, mask).mul(beta)
                        .add(FloatVector.fromMemorySegment(S, p, off, ORDER, mask))
                        .intoMemorySegment(seg, off, ORDER, mask);
            }
        }
    }

    /** c = x^T x from the tiles that reach the lower triangle, mirrored. */
    private static void syrk(Matrix x, Matrix c) {
        multiply(true, false, 1f, x, x, 0f, c, true);
        int d = c.rows();
        IntStream.range(0, d).parallel().forEach(i -> {
            for (int j = i + 1; j < d; j++) {
                c.set(i, j, c.get(j, i));
            }
        });
    }

    /** gemm; when lower, only the MR x NR tiles of c that reach the lower triangle (diagonal included). */
    private static void multiply(boolean transA, boolean transB, float alpha, Matrix a, Matrix b, float beta,
                                 Matrix c, boolean lower) {
        int m = c.rows();
        int n = c.cols();
        int k = transA ? a.rows() : a.cols();
        applyBeta(beta, c);
        if (m == 0 || n == 0 || k == 0 || alpha == 0f) {
            return;
        }
        // blocks of rows: a multiple of the thread count, each at most MC_MAX rows and a multiple of MR
        int blocks = roundUp(ceilDiv(m, MC_MAX), THREADS);
        int mc = Math.min(MC_MAX, roundUp(ceilDiv(m, blocks), MR));
        int rowBlocks = ceilDiv(m, mc);
        float[] bPanel = new float[KC * roundUp(Math.min(NC, n), NR)];
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                int col0 = jc;
                int p0 = pc;
                IntStream.range(0, ceilDiv(nc, NR)).parallel().forEach(jr ->
                        pack(b, !transB, col0 + jr * NR, Math.min(NR, nc - jr * NR), p0, kc, NR, bPanel, jr * NR * kc));
                IntStream.range(0, rowBlocks).parallel().forEach(blk -> {
                    int i0 = blk * mc;
                    int rows = Math.min(mc, m - i0);
                    float[] aPanel = A_PANEL.get();
                    float[] tile = TILE.get();
                    pack(a, transA, i0, rows, p0, kc, MR, aPanel, 0);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int cols = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < rows; ir += MR) {
                            if (lower && col0 + jr > i0 + ir + MR - 1) {
                                continue; // the tile lies above the diagonal
                            }
                            if (cols <= L) { // a narrow edge (thin outputs: k = 8, 16): half the FMAs
                                halfKernel(aPanel, ir * kc, bPanel, jr * kc, kc, tile);
                            } else {
                                kernel(aPanel, ir * kc, bPanel, jr * kc, kc, tile);
                            }
                            addTile(tile, alpha, c, i0 + ir, col0 + jr, Math.min(MR, rows - ir), cols);
                        }
                    }
                });
            }
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static int roundUp(int x, int multiple) {
        return ceilDiv(x, multiple) * multiple;
    }

    /** c = beta c, or c = 0 when beta is 0 (never 0 * NaN). */
    private static void applyBeta(float beta, Matrix c) {
        if (beta == 1f) {
            return;
        }
        MemorySegment seg = c.segment();
        int n = c.cols();
        IntStream.range(0, c.rows()).parallel().forEach(i -> {
            long row = (long) i * n * Float.BYTES;
            if (beta == 0f) {
                seg.asSlice(row, (long) n * Float.BYTES).fill((byte) 0);
                return;
            }
            for (int j = 0; j < n; j += L) {
                VectorMask<Float> mask = S.indexInRange(j, n);
                long off = row + (long) j * Float.BYTES;
                FloatVector.fromMemorySegment(S, seg, off, ORDER, mask).mul(beta).intoMemorySegment(seg, off, ORDER, mask);
            }
        });
    }

    /**
     * Packs rows [r0, r0 + count) x depth [p0, p0 + kc) of x' (x' = x^T when transposed, else x) into
     * panels w rows wide: element (r, p) goes to panel[off + (r / w) * w * kc + p * w + r % w]; the rows
     * that pad the last panel to w are zero. op(a) is packed as x' = op(a) with w = MR, op(b) as
     * x' = op(b)^T with w = NR, so both read contiguous runs of x whatever the transposes.
     */
    private static void pack(Matrix x, boolean transposed, int r0, int count, int p0, int kc, int w,
                             float[] panel, int off) {
        MemorySegment seg = x.segment();
        long ld = x.cols();
        float[] run = SCRATCH.get();
        if (!transposed) { // row r of x' is a run of x: copy it, then spread it with stride w
            for (int r = 0; r < count; r++) {
                MemorySegment.copy(seg, Matrix.FLOAT, ((r0 + r) * ld + p0) * Float.BYTES, run, 0, kc);
                int base = off + (r / w) * w * kc + r % w;
                for (int p = 0; p < kc; p++) {
                    panel[base + p * w] = run[p];
                }
            }
        } else { // column p of x' is a run of x
            for (int p = 0; p < kc; p++) {
                MemorySegment.copy(seg, Matrix.FLOAT, ((p0 + p) * ld + r0) * Float.BYTES, run, 0, count);
                for (int q = 0; q < count; q += w) {
                    int base = off + q * kc + p * w - q;
                    for (int r = q, end = Math.min(q + w, count); r < end; r++) { // too short for arraycopy
                        panel[base + r] = run[r];
                    }
                }
            }
        }
        int last = count / w * w;
        for (int r = count; r < roundUp(count, w); r++) {
            int base = off + last * kc + r - last;
            for (int p = 0; p < kc; p++) {
                panel[base + p * w] = 0f;
            }
        }
    }

    /** tile[r * NR + j] = (MR x kc panel of a at ao) (kc x NR panel of b at bo), in registers. */
    private static void kernel(float[] ap, int ao, float[] bp, int bo, int kc, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int b = bo + p * NR;
            int a = ao + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b);
            FloatVector b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(S, ap[a + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(S, ap[a + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        // stored rather than added to c here: a kernel this size must stay small enough for C2 to
        // intrinsify every vector op (a fallback boxes all twelve accumulators on every iteration)
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
    }

    /** The left half of {@link #kernel}: tile[r * NR + j] for j < L only (the rest is left as it was). */
    private static void halfKernel(float[] ap, int ao, float[] bp, int bo, int kc, float[] tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S), c4 = FloatVector.zero(S), c5 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo + p * NR);
            int a = ao + p * MR;
            c0 = b0.fma(FloatVector.broadcast(S, ap[a]), c0);
            c1 = b0.fma(FloatVector.broadcast(S, ap[a + 1]), c1);
            c2 = b0.fma(FloatVector.broadcast(S, ap[a + 2]), c2);
            c3 = b0.fma(FloatVector.broadcast(S, ap[a + 3]), c3);
            c4 = b0.fma(FloatVector.broadcast(S, ap[a + 4]), c4);
            c5 = b0.fma(FloatVector.broadcast(S, ap[a + 5]), c5);
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, NR);
        c2.intoArray(tile, 2 * NR);
        c3.intoArray(tile, 3 * NR);
        c4.intoArray(tile, 4 * NR);
        c5.intoArray(tile, 5 * NR);
    }

    /** c(row0 + r, col0 + j) += alpha tile[r * NR + j] for r < rows, j < cols. */
    private static void addTile(float[] tile, float alpha, Matrix c, int row0, int col0, int rows, int cols) {
        MemorySegment seg = c.segment();
        long ld = c.cols();
        FloatVector alphaV = FloatVector.broadcast(S, alpha);
        for (int r = 0; r < rows; r++) {
            long off = ((row0 + r) * ld + col0) * Float.BYTES;
            for (int j = 0; j < cols; j += L) {
                long o = off + (long) j * Float.BYTES;
                FloatVector t = FloatVector.fromArray(S, tile, r * NR + j);
                if (cols - j >= L) {
                    t.fma(alphaV, FloatVector.fromMemorySegment(S, seg, o, ORDER)).intoMemorySegment(seg, o, ORDER);
                } else {
                    VectorMask<Float> mask = S.indexInRange(j, cols);
                    t.fma(alphaV, FloatVector.fromMemorySegment(S, seg, o, ORDER, mask)).intoMemorySegment(seg, o, ORDER, mask);
                }
            }
        }
    }
}
