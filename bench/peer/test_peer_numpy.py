"""Checks of the peer's CPU reference (reference_numpy.py) against brute force and float64 algebra.
Fresh random inputs each run; the seed is printed.  python3 bench/peer/test_peer_numpy.py"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_numpy as ref  # noqa: E402
import trisolve  # noqa: E402
import workload as wl  # noqa: E402

SEED = time.time_ns() % (1 << 32)
RNG = np.random.default_rng(SEED)


def check(cond, what):
    if not cond:
        raise AssertionError(f"seed {SEED}: {what}")


def test_triangular_solves():
    d, m = 131, 7
    low = np.tril(RNG.standard_normal((d, d))) + d * np.eye(d)
    b = RNG.standard_normal((d, m))
    x = trisolve.solve_lower(low, b)
    check(np.allclose(low @ x, b, atol=1e-3), "solve_lower")
    x = trisolve.solve_lower_transposed(low, b)
    check(np.allclose(low.T @ x, b, atol=1e-3), "solve_lower_transposed")


def test_relu_penalty_is_the_minimiser():
    yp = RNG.standard_normal(500).astype(np.float32) * 2
    a = RNG.standard_normal(500).astype(np.float32) * 2
    grid = np.linspace(-8, 8, 160001)
    for lam in (0.01, 0.3, 1.0):
        z = ref.relu_penalty(yp, a, lam)
        t = np.maximum(a, 0)
        f = lambda zz: (t - np.maximum(zz, 0)) ** 2 + lam * (zz - yp) ** 2  # noqa: E731
        best = np.min([f(np.full_like(yp, g)) for g in grid[::400]], axis=0)
        for i in range(0, 500, 50):   # brute force on a fine grid for a few elements
            bi = np.min((t[i] - np.maximum(grid, 0)) ** 2 + lam * (grid - yp[i]) ** 2)
            check(f(z)[i] <= bi + 1e-4, f"relu_penalty lam {lam} element {i}: {f(z)[i]} > {bi}")
        check(np.all(f(z) <= best + 1e-4), f"relu_penalty lam {lam} coarse grid")


def problem(n=400, d_in=37, d_out=23):
    y = np.maximum(RNG.standard_normal((n, d_in)), 0).astype(np.float32)
    z = (y @ RNG.standard_normal((d_in, d_out)) + RNG.standard_normal((n, d_out))).astype(np.float32)
    return y, z


def test_full_rank_step_is_ridge_least_squares():
    y, z = problem()
    ybar, yc, low = ref.gram_cholesky(y, 1e-3)
    p, qt, b = ref.reduced_rank_step(yc, ybar, low, z, z.shape[1])
    y64, z64 = yc.astype(np.float64), (z - z.mean(0)).astype(np.float64)
    c = y64.T @ y64
    c += 1e-3 * np.mean(np.diag(c)) * np.eye(c.shape[0])
    m = np.linalg.solve(c, y64.T @ z64).T                      # d_out x d_in
    check(np.allclose(p @ qt.T, m, atol=1e-4 * np.abs(m).max()), "k = d_out: P Q is the ridge solution")
    check(np.allclose(b, z.mean(0) - m @ ybar, atol=1e-4), "bias")


def test_rank_k_step_beats_other_rank_k_maps():
    y, z = problem()
    ybar, yc, low = ref.gram_cholesky(y, 1e-6)
    k = 5
    p, qt, b = ref.reduced_rank_step(yc, ybar, low, z, k)
    err = lambda m, bb: np.sum((y @ m.T + bb - z).astype(np.float64) ** 2)  # noqa: E731
    mine = err(p @ qt.T, b)
    check(np.linalg.matrix_rank(p @ qt.T) == k, "rank")
    full = np.linalg.lstsq(np.c_[y, np.ones(len(y))], z, rcond=None)[0]
    u, s, vt = np.linalg.svd(full[:-1].T, full_matrices=False)
    mt = (u[:, :k] * s[:k]) @ vt[:k]
    check(mine <= err(mt, z.mean(0) - mt @ y.mean(0)) * (1 + 1e-5), "beats truncated least squares")
    for _ in range(20):
        pm = (p + 1e-2 * RNG.standard_normal(p.shape)) @ (qt + 1e-2 * RNG.standard_normal(qt.shape)).T
        check(mine <= err(pm, z.mean(0) - pm @ y.mean(0)) * (1 + 1e-5), "beats perturbed rank-k maps")


def test_balance_keeps_the_product():
    p = RNG.standard_normal((40, 6)).astype(np.float32)
    q = RNG.standard_normal((6, 70)).astype(np.float32) * 10
    bp, bq = ref.balance(p, q)
    check(np.allclose(bp @ bq, p @ q, atol=1e-3 * np.abs(p @ q).max()), "balance keeps P Q")
    check(np.allclose(bp.T @ bp, bq @ bq.T, atol=1e-2 * np.abs(bp.T @ bp).max()), "balanced: P^T P = Q Q^T")


def test_gradients_match_finite_differences():
    n, dims, k = 9, (7, 6, 5, 3), 2
    x = np.abs(RNG.standard_normal((n, dims[0])))
    target = RNG.standard_normal((n, dims[-1]))
    params = [[RNG.standard_normal((dims[l + 1], k)), RNG.standard_normal((k, dims[l])),
               RNG.standard_normal(dims[l + 1]) + 0.5] for l in range(3)]
    loss, grads = ref.loss_and_grads(x, target, params, 3.0)
    h = 1e-6
    for l in range(3):
        for j in range(3):
            t = params[l][j]
            for flat in RNG.choice(t.size, size=min(4, t.size), replace=False):
                i = np.unravel_index(flat, t.shape)
                old = t[i]
                t[i] = old + h
                up = ref.loss_and_grads(x, target, params, 3.0)[0]
                t[i] = old - h
                down = ref.loss_and_grads(x, target, params, 3.0)[0]
                t[i] = old
                fd = (up - down) / (2 * h)
                check(abs(fd - grads[l][j][i]) <= 1e-5 + 1e-4 * abs(fd), f"grad layer {l} param {j} {i}: {grads[l][j][i]} vs {fd}")


def test_rate_search_finds_the_stable_edge_of_a_quadratic():
    """Heavy ball (momentum 0.9) on 1/2 sum h_i w_i^2 is stable for lr h < 3.8: the largest steady rate lies
    within a factor of 4 below 3.8 / max h, and the search starts the stage HEADROOM times above it."""
    for trial_seed in range(10):
        rng = np.random.default_rng(SEED + trial_seed)
        h_max = float(np.exp(-5 + 13 * rng.random()))
        h = h_max * 10.0 ** (-3 * rng.random(12))
        h[0] = h_max
        w0 = rng.standard_normal(12)

        def trial(rate):
            w, v, losses = w0.copy(), np.zeros_like(w0), []
            for _ in range(ref.PROBE_PASSES):
                total = 0.0
                for _ in range(ref.PROBE_BATCHES):
                    total += 0.5 * float(np.sum(h * w * w))
                    v = 0.9 * v + h * w
                    w = w - rate * v
                losses.append(total / ref.PROBE_BATCHES)
            return losses

        search = ref.search_rate(trial, 0.5 * float(np.sum(h * w0 * w0)))
        edge = 3.8 / h_max
        steady = search["largest_steady"]
        check(edge / 4 < steady <= edge, f"largest steady {steady} vs edge {edge} (h_max {h_max})")
        check(search["chosen"] == ref.HEADROOM * steady, "the stage starts HEADROOM times above it")


def test_pipeline_on_small_workload():
    w = wl.generate_numpy("small", 1500, int(SEED))
    layers = [(L.weight, L.bias) for L in w.layers]
    lams = ref.parse_schedule("0.01x4,1x4")
    factors, target = ref.as_init(w.calib, layers, 24, lams)
    e_init = ref.rel_error(ref.forward(w.calib, factors), target)
    e_linear = ref.rel_error(ref.forward(w.calib, ref.as_init(w.calib, layers, 24, [])[0]), target)
    e_lrd = ref.rel_error(ref.forward(w.calib, ref.lrd(layers, 24)), target)
    balanced = [ref.balance(p, q) + (b,) for p, q, b in factors]
    check(abs(ref.rel_error(ref.forward(w.calib, balanced), target) - e_init) < 1e-4, "balance changes the output")
    tuned, lr, halvings, _ = ref.global_stage(w.calib, target, balanced, epochs=4, batch=256, lr=0.002)
    e_ger = ref.rel_error(ref.forward(w.calib, tuned), target)
    print(f"  small, k=24: LRD {e_lrd:.4f}, linear RRR {e_linear:.4f}, AS {e_init:.4f}, GER {e_ger:.4f} (lr {lr}, {halvings} halvings)")
    check(e_init < e_lrd, f"AS {e_init} should beat LRD {e_lrd}")
    check(e_init <= e_linear * 1.001, f"the ReLU-penalty iterations should not hurt: {e_init} vs {e_linear}")
    check(e_ger < e_init, f"the global stage should lower the error: {e_ger} vs {e_init}")
    found, lr, halvings, search = ref.global_stage(w.calib, target, balanced, epochs=4, batch=256)
    e_found = ref.rel_error(ref.forward(w.calib, found), target)
    print(f"  rate found: largest steady {search['largest_steady']:g}, settled {lr:g}; GER {e_found:.4f}")
    check(e_found < e_init, f"the global stage at the rate found should lower the error: {e_found} vs {e_init}")


if __name__ == "__main__":
    print("seed", SEED)
    for name, fn in list(globals().items()):
        if name.startswith("test_"):
            t = time.perf_counter()
            fn()
            print(f"ok {name} ({time.perf_counter() - t:.1f} s)")
