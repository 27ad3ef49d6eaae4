"""Prints the first values of the shared workload (numpy path) so Java (ger.bench.Workload) can be
compared with it, and checks the recipe's properties on the small workload.

    python3 bench/peer/check_workload.py [--workload small] [--n 64] [--seed 42]

The SplitMix64 values and the first bias elements are bit-exact fixtures; weights and inputs go
through a GEMM and agree to float32 rounding (relative 1e-5 or so).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workload as wl  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", default="small", choices=sorted(wl.SHAPES))
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()

    # the vectorised stream against the scalar reference (python ints, mod 2^64)
    for stream in (1, 2, 1003):
        v = wl.splitmix_numpy(a.seed, stream, np.arange(5, dtype=np.uint64))
        ref = [wl.splitmix_scalar(a.seed, stream, i) for i in range(5)]
        assert [int(x) for x in v] == ref, stream
        print(f"splitmix seed={a.seed} stream={stream} idx 0..4:", ", ".join(f"0x{int(x):016X}L" for x in v))
    print("uniform[-1,1) seed, stream 1, idx 0..4:",
          ", ".join(repr(float(x)) + "f" for x in wl.to_uniform_pm1(
              wl.splitmix_numpy(a.seed, 1, np.arange(5, dtype=np.uint64)))))

    w = wl.generate_numpy(a.workload, a.n, a.seed)
    print("workload:", w.describe())
    for L in w.layers:
        print(f"{L.name}: weight[0, 0..3] =", ", ".join(repr(float(x)) + "f" for x in L.weight[0, :4]),
              "| bias[0..3] =", ", ".join(repr(float(x)) + "f" for x in L.bias[:4]))
    print("calib[0, 0..3] =", ", ".join(repr(float(x)) + "f" for x in w.calib[0, :4]))
    print("calib[n-1, d-1] =", repr(float(w.calib[-1, -1])) + "f")

    # the properties the recipe promises
    assert w.calib.min() >= 0, "inputs must be >= 0"
    h = w.calib
    for L in w.layers:
        a_ = h @ L.weight.T + L.bias
        rms = float(np.sqrt(np.mean(a_.astype(np.float64) ** 2)))
        sv = np.linalg.svd(L.weight.astype(np.float64), compute_uv=False)
        print(f"{L.name}: pre-activation rms {rms:.3f}, sigma_1 / sigma_10 = {sv[0] / sv[min(9, len(sv) - 1)]:.2f}")
        assert 0.2 < rms < 5, f"{L.name}: activations left O(1): rms {rms}"
        h = np.maximum(a_, 0)
    print("ok")


if __name__ == "__main__":
    main()
