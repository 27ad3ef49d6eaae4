"""NumPy/OpenBLAS on the shapes of java/test/ger/bench/ShapesBenchmark.java (the same list and
meaning, float32): best and median of 20 calls after one warm-up, in ms and GFLOP/s (the FLOPs
counted as the java side counts them). The Gram matrix is x.T @ x (NumPy has no SYRK), the solve
scipy's solve_triangular (LAPACK strtrs through BLAS trsm)."""
import sys
import time

import numpy as np
from scipy.linalg import solve_triangular

SHAPES = ["nt:256:128:784", "nt:256:1024:128", "tn:1024:128:256", "tn:128:784:256",
          "tn:10000:8:1024", "tn:10000:32:1024", "tn:10000:128:1024", "nn:1024:128:10000",
          "gram:10000:1024:0", "trsm:10000:1024:0"]


def call(shape, rng):
    op, m, n, k = shape.split(":")
    m, n, k = int(m), int(n), int(k)
    if op == "gram":
        x = rng.standard_normal((m, n), dtype=np.float32)
        return (lambda: x.T @ x), m * n * n
    if op == "trsm":
        low = np.tril(rng.standard_normal((n, n), dtype=np.float32) / n, -1) + np.eye(n, dtype=np.float32)
        b = rng.standard_normal((n, m), dtype=np.float32)
        return (lambda: solve_triangular(low, b, lower=True, check_finite=False)), m * n * n
    a = rng.standard_normal((k, m) if op[0] == "t" else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if op[1] == "t" else (k, n), dtype=np.float32)
    a_op = a.T if op[0] == "t" else a
    b_op = b.T if op[1] == "t" else b
    return (lambda: a_op @ b_op), 2 * m * n * k


def main():
    rng = np.random.default_rng(12345)
    for shape in sys.argv[1:] or SHAPES:
        f, flop = call(shape, rng)
        f()
        times = []
        for _ in range(20):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        times.sort()
        best, median = times[0], times[len(times) // 2]
        print(f"{shape:<20} best {best * 1e3:8.2f} ms ({flop / best / 1e9:6.1f} GFLOP/s), median {median * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
