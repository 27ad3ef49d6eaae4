"""Times NumPy's float32 `a @ b` (m x k times k x n, OpenBLAS or whatever BLAS NumPy links) as the
yardstick for the java backend's GEMM (bench/results/java-gemm.md). Fixed seed; best and median of 50 calls.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/python/numpy_gemm.py [size ...]
"""
import ctypes
import glob
import os
import platform
import sys
import time

import numpy as np


def blas_info():
    """The BLAS library, its kernel (core type) and thread count, as well as we can tell."""
    try:
        from threadpoolctl import threadpool_info
        return "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
                         f"threads={i.get('num_threads')}" for i in threadpool_info())
    except ImportError:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        simd = cfg.get("SIMD Extensions", {})
        return (f"{blas.get('name')} {blas.get('version')} ({blas.get('openblas configuration', '')}); "
                f"numpy SIMD found: {simd.get('found')}")


def openblas_kernel():
    """The core type OpenBLAS picked at run time (DYNAMIC_ARCH builds), from the wheel's own library."""
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "lib*openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", ""):
                corename = getattr(lib, prefix + "get_corename" + suffix, None)
                threads = getattr(lib, prefix + "get_num_threads" + suffix, None)
                if corename is not None:
                    corename.restype = ctypes.c_char_p
                    return f"{corename().decode()} kernel, {threads() if threads else '?'} threads"
    return "unknown kernel"


def timings(a, b, repeats):
    """Seconds per call, sorted."""
    a @ b  # warm up: thread pool, page faults
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return sorted(times)


def main():
    sizes = [int(s) for s in sys.argv[1:]] or [1024]
    rng = np.random.default_rng(12345)
    print(f"numpy {np.__version__}, python {platform.python_version()}, nproc {os.cpu_count()}")
    print(f"BLAS: {blas_info()}")
    print(f"OpenBLAS at run time: {openblas_kernel()}")
    print("OPENBLAS_CORETYPE=" + os.environ.get("OPENBLAS_CORETYPE", "(unset)")
          + " OPENBLAS_L2_SIZE=" + os.environ.get("OPENBLAS_L2_SIZE", "(unset)"))
    for n in sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        times = timings(a, b, repeats=50)
        best = times[0]
        median = times[len(times) // 2]
        flop = 2.0 * n ** 3
        print(f"{n}^3 float32 a @ b: best {best * 1e3:.2f} ms ({flop / best / 1e9:.1f} GFLOP/s), "
              f"median {median * 1e3:.2f} ms ({flop / median / 1e9:.1f} GFLOP/s)")


if __name__ == "__main__":
    main()
