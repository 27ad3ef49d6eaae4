// SGEMM for the OpenCL backend: c = alpha op(a) op(b) + beta c, op(x) = x or x^T, all row-major;
// op(a) m x k, op(b) k x n, c m x n. One kernel per transpose case (sgemm_nn, sgemm_nt, sgemm_tn,
// sgemm_tt), all from one body: the transpose flags are literal constants, so the compiler folds
// them away.
//
// Tiling: a work-group computes a TSM x TSN tile of c, RTSN x RTSM work-items (local id 0 runs
// along n, so neighbouring work-items touch neighbouring columns: vector lanes on a CPU, coalesced
// accesses on a GPU), each holding a WPTM x WPTN block of c in registers. Each step stages a
// TSM x TSK slice of op(a) and a TSK x TSN slice of op(b) in local memory. Loads past the edges of
// a or b read zero and stores past the edges of c are skipped, so any m, n, k works.
// Host launch: local (RTSN, RTSM), global (ceil(n / TSN) RTSN, ceil(m / TSM) RTSM).

// The host passes the tile sizes as -D options (OpenClBackend); these defaults only make the file
// build on its own.
#ifndef TSM
#define TSM 64
#define TSN 64
#define TSK 16
#define WPTM 8
#define WPTN 8
#endif
#define RTSM (TSM / WPTM)
#define RTSN (TSN / WPTN)
#define WG (RTSM * RTSN)

// op(a)(i, p), zero outside m x k; a is m x k (lda = k), or k x m when transposed (lda = m).
inline float load_a(__global const float* a, const int trans, const int m, const int k, const int i, const int p) {
    if (i >= m || p >= k) {
        return 0.0f;
    }
    return trans ? a[(long) p * m + i] : a[(long) i * k + p];
}

// op(b)(p, j), zero outside k x n; b is k x n, or n x k when transposed.
inline float load_b(__global const float* b, const int trans, const int k, const int n, const int p, const int j) {
    if (p >= k || j >= n) {
        return 0.0f;
    }
    return trans ? b[(long) j * k + p] : b[(long) p * n + j];
}

// as: TSK x TSM (as[p * TSM + i] = op(a)(tile row i, p)), bs: TSK x TSN, both in local memory.
inline void sgemm_tile(const int transA, const int transB, const int m, const int n, const int k,
                       const float alpha, __global const float* a, __global const float* b,
                       const float beta, __global float* c, __local float* as, __local float* bs) {
    const int tn = get_local_id(0);
    const int tm = get_local_id(1);
    const int tid = tm * RTSN + tn;
    const int offM = get_group_id(1) * TSM;
    const int offN = get_group_id(0) * TSN;

    float acc[WPTM][WPTN];
    for (int wm = 0; wm < WPTM; wm++) {
        for (int wn = 0; wn < WPTN; wn++) {
            acc[wm][wn] = 0.0f;
        }
    }

    for (int t = 0; t < k; t += TSK) {
        // Consecutive work-items read consecutive addresses of the stored matrix.
        for (int l = 0; l < TSK * TSM / WG; l++) {
            const int id = l * WG + tid;
            const int i = transA ? id % TSM : id / TSK;
            const int p = transA ? id / TSM : id % TSK;
            as[p * TSM + i] = load_a(a, transA, m, k, offM + i, t + p);
        }
        for (int l = 0; l < TSK * TSN / WG; l++) {
            const int id = l * WG + tid;
            const int j = transB ? id / TSK : id % TSN;
            const int p = transB ? id % TSK : id / TSN;
            bs[p * TSN + j] = load_b(b, transB, k, n, t + p, offN + j);
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        // Fully unrolled, so that on a CPU (PoCL) the loop over work-items is the innermost loop and
        // gets vectorised, with acc kept in registers.
#pragma unroll
        for (int p = 0; p < TSK; p++) {
            float br[WPTN];
#pragma unroll
            for (int wn = 0; wn < WPTN; wn++) {
                br[wn] = bs[p * TSN + tn + wn * RTSN];
            }
#pragma unroll
            for (int wm = 0; wm < WPTM; wm++) {
                const float ar = as[p * TSM + tm + wm * RTSM];
#pragma unroll
                for (int wn = 0; wn < WPTN; wn++) {
                    acc[wm][wn] += ar * br[wn];
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int wm = 0; wm < WPTM; wm++) {
        const int i = offM + tm + wm * RTSM;
        for (int wn = 0; wn < WPTN; wn++) {
            const int j = offN + tn + wn * RTSN;
            if (i < m && j < n) {
                const long idx = (long) i * n + j;
                const float v = alpha * acc[wm][wn];
                // beta = 0 never reads c, so NaN left in c cannot leak into the result.
                c[idx] = beta == 0.0f ? v : v + beta * c[idx];
            }
        }
    }
}

#define SGEMM_KERNEL(NAME, TRANS_A, TRANS_B)                                                      \
    __kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))                                 \
    void NAME(const int m, const int n, const int k, const float alpha, __global const float* a,  \
              __global const float* b, const float beta, __global float* c) {                     \
        __local float as[TSK * TSM];                                                              \
        __local float bs[TSK * TSN];                                                              \
        sgemm_tile(TRANS_A, TRANS_B, m, n, k, alpha, a, b, beta, c, as, bs);                      \
    }

SGEMM_KERNEL(sgemm_nn, 0, 0)
SGEMM_KERNEL(sgemm_nt, 0, 1)
SGEMM_KERNEL(sgemm_tn, 1, 0)
SGEMM_KERNEL(sgemm_tt, 1, 1)
