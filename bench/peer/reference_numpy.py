"""The CPU reference of the peer's pipeline, in numpy float32 (float64 where the algebra needs it):
the same steps as ger_peer.py's torch code, written plainly, for the dry run (`ger_peer.py --backend
numpy`) and for test_peer_numpy.py. Shapes: data n x d (one sample per row), weights out x in.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np
import trisolve as sl


# ---------------------------------------------------------------------------------------------
# AS: layer-wise nonlinear initialisation (docs/method.md, "AS")

def relu_penalty(yp: np.ndarray, a: np.ndarray, lam: float) -> np.ndarray:
    """Step II: element-wise argmin_z (relu(a) - relu(z))^2 + lam (z - yp)^2 from its two candidates."""
    t = np.maximum(a, 0)
    z0 = np.minimum(yp, 0)
    z1 = np.maximum((lam * yp + t) / (1 + lam), 0)
    cost0 = t * t + lam * (z0 - yp) ** 2
    cost1 = (t - z1) ** 2 + lam * (z1 - yp) ** 2
    return np.where(cost1 <= cost0, z1, z0).astype(np.float32)


def centred_gram(yhat: np.ndarray, eps_rel: float):
    """(ybar: d, Yc: n x d centred, C: d x d float64) with C = Yc^T Yc + eps I, eps = eps_rel mean diag."""
    ybar = yhat.mean(0)
    yc = yhat - ybar
    c = (yc.T @ yc).astype(np.float64)
    c[np.diag_indices_from(c)] += eps_rel * float(np.mean(np.diag(c)))
    return ybar, yc, c


def gram_cholesky(yhat: np.ndarray, eps_rel: float):
    """(ybar, Yc, L: d x d lower, float32) with centred_gram's C = L L^T."""
    ybar, yc, c = centred_gram(yhat, eps_rel)
    return ybar, yc, np.linalg.cholesky(c).astype(np.float32)


def reduced_rank_step(yc, ybar, low, z, k):
    """Step I: rank-k M = P Q with b, from C = L L^T, G = Yc^T Z (Yc's columns sum to 0, so Z need not be
    centred), B = L^-1 G, U_k = top-k eigenvectors of B^T B; P = U_k, Q^T = L^-T B U_k, b = zbar - P Q ybar.
    Returns (P: d_out x k, Qt: d_in x k, b: d_out)."""
    g = yc.T @ z
    bm = sl.solve_lower(low, g)
    _, vecs = np.linalg.eigh((bm.T @ bm).astype(np.float64))
    uk = vecs[:, ::-1][:, :k].astype(np.float32)
    qt = sl.solve_lower_transposed(low, bm @ uk)
    b = z.mean(0) - (ybar @ qt) @ uk.T
    return uk, qt, b.astype(np.float32)


def parse_schedule(text: str) -> list[float]:
    """'0.01x25,1x25' -> [0.01] * 25 + [1.0] * 25."""
    lams = []
    for part in text.split(","):
        lam, _, count = part.strip().partition("x")
        try:
            lams += [float(lam)] * int(count)
        except ValueError:
            raise SystemExit(f"--schedule: '{part}' is not LAMBDAxCOUNT (e.g. 0.01x25,1x25)")
    return lams


@contextmanager
def _untimed(_name):
    yield


def as_init(x, layers, k, lambdas, eps_rel=1e-3, timed=_untimed, on_iteration=lambda name, ms: None,
            names=("fc6", "fc7", "fc8")):
    """AS bottom-up. layers: [(W out x in, b out)]. Returns [(P, Q, b)] and the original logits.
    timed(name) is a context manager around each phase (gram_<layer>, cholesky_<layer>, init_<layer>);
    on_iteration(layer, ms) gets the wall time of each lambda iteration."""
    yhat, h = x, x
    factors = []
    for l, (w, bias) in enumerate(layers):
        relu = l < len(layers) - 1
        kl = min(k, w.shape[0], w.shape[1])
        with timed("init_" + names[l]):
            a = h @ w.T + bias
            with timed("gram_" + names[l]):
                ybar, yc, c = centred_gram(yhat, eps_rel)
            with timed("cholesky_" + names[l]):
                low = np.linalg.cholesky(c).astype(np.float32)
            z = a
            for lam in (lambdas if relu else []):
                t0 = time.perf_counter()
                p, qt, b = reduced_rank_step(yc, ybar, low, z, kl)
                z = relu_penalty((yhat @ qt) @ p.T + b, a, lam)
                on_iteration(names[l], (time.perf_counter() - t0) * 1e3)
            p, qt, b = reduced_rank_step(yc, ybar, low, z, kl)
            factors.append((p, qt.T.copy(), b))
            out = (yhat @ qt) @ p.T + b
            yhat = np.maximum(out, 0) if relu else out
            h = np.maximum(a, 0) if relu else a
    return factors, h


def forward(x, factors):
    h = x
    for l, (p, q, b) in enumerate(factors):
        h = (h @ q.T) @ p.T + b
        if l < len(factors) - 1:
            h = np.maximum(h, 0)
    return h


def rel_error(out, ref) -> float:
    return float(np.linalg.norm((out - ref).astype(np.float64)) / np.linalg.norm(ref.astype(np.float64)))


# ---------------------------------------------------------------------------------------------
# the global stage

def balance(p, q):
    """Same product P Q, factors U sqrt(S) and sqrt(S) V^T, via thin QRs (never the dense P Q)."""
    qp, rp = np.linalg.qr(p)
    qq, rq = np.linalg.qr(q.T)
    u, s, vt = np.linalg.svd(rp @ rq.T)
    r = np.sqrt(s)
    return ((qp @ u) * r).astype(np.float32), ((r[:, None] * vt) @ qq.T).astype(np.float32)


# The divergence guard, as ger's: an epoch whose mean loss is not finite or exceeds GUARD x the loss
# before the stage (+ GUARD_FLOOR) is undone (parameters and momentum) and retried at half the rate,
# at most MAX_HALVINGS times; a stage that ends with a larger output error returns its start.
GUARD = 2.0
GUARD_FLOOR = 1e-9
MAX_HALVINGS = 8

# The rate search, as ger's (docs/method.md, "Finding the learning rate"): from the same start, probes
# of PROBE_PASSES passes over a slice of PROBE_BATCHES batches at rates a factor of RATE_FACTOR apart,
# walking up from RATE_START until one diverges (the last pass not below the start), else down until
# one is steady (every pass below the one before, the last below the start); the stage starts at
# HEADROOM x the largest steady rate and the guard halves it.
RATE_START = 0.01
RATE_FACTOR = 2.0
RATE_MIN = RATE_START / 2 ** 20
RATE_MAX = RATE_START * 2 ** 16
HEADROOM = 4.0
PROBE_BATCHES = 8
PROBE_PASSES = 4


def diverged(initial, losses):
    return not (np.isfinite(losses[-1]) and losses[-1] < initial)


def steady(initial, losses):
    return all(b < a for a, b in zip(losses, losses[1:])) and not diverged(initial, losses)


def search_rate(trial, initial):
    """trial(rate) -> the loss of each probe pass from the same start. Returns the search as ger reports it."""
    probes, largest = [], 0.0

    def probe(rate):
        losses = [float(v) for v in trial(rate)]
        probes.append({"lr": rate, "pass_loss": losses, "steady": steady(initial, losses)})
        return probes[-1]

    rate = RATE_START
    while rate <= RATE_MAX:
        p = probe(rate)
        if p["steady"]:
            largest = rate
        if diverged(initial, p["pass_loss"]):
            break
        rate *= RATE_FACTOR
    rate = RATE_START / RATE_FACTOR
    while largest == 0.0 and rate >= RATE_MIN:
        if probe(rate)["steady"]:
            largest = rate
        rate /= RATE_FACTOR
    largest = largest or RATE_MIN
    return {"slice_loss": initial, "probes": sorted(probes, key=lambda p: p["lr"]), "largest_steady": largest,
            "chosen": HEADROOM * largest}


def probe_slice(n, batch, rng):
    """The rows the probes train on: PROBE_BATCHES batches of a random permutation."""
    return rng.permutation(n)[:min(n, PROBE_BATCHES * batch)]


def global_stage(x, target, factors, epochs, batch, lr=None, momentum=0.9, weight_decay=5e-4, seed=0,
                 halve_every=10):
    """SGD on loss = mean_i ||Fhat(x_i) - F(x_i)||^2 / mean_i ||F(x_i)||^2 with hand-written backprop.
    Weight decay on P and Q only, divided by the loss's normaliser (as ger). lr None: found by
    search_rate. Guard: see GUARD. Returns (factors, lr settled on, halvings, search or None)."""
    params = [[p.copy(), q.copy(), b.copy()] for p, q, b in factors]
    norm = float(np.mean(np.sum(target.astype(np.float64) ** 2, axis=1)))
    rng = np.random.default_rng(seed)

    def train(vel, order, rate):
        total = 0.0
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            batch_loss, grads = loss_and_grads(x[idx], target[idx], params, norm)
            total += batch_loss * len(idx)
            for layer, vlayer, glayer in zip(params, vel, grads):
                for j, (t, v, g) in enumerate(zip(layer, vlayer, glayer)):
                    v *= momentum
                    v += g + (weight_decay / norm * t if j < 2 else 0)
                    t -= rate * v
        return total / len(order)

    def zeros():
        return [[np.zeros_like(t) for t in layer] for layer in params]

    search = None
    if lr is None:
        rows = probe_slice(x.shape[0], batch, rng)
        start = [[t.copy() for t in layer] for layer in params]

        def trial(rate):
            vel = zeros()
            losses = []
            for _ in range(PROBE_PASSES):
                losses.append(train(vel, rows, rate))
                if not np.isfinite(losses[-1]):
                    losses += [float("nan")] * (PROBE_PASSES - len(losses))
                    break
            for layer, saved in zip(params, start):
                for t, v in zip(layer, saved):
                    t[...] = v
            return losses

        search = search_rate(trial, mean_loss(x[rows], target[rows], params, norm))
        lr = search["chosen"]
    vel = zeros()
    initial = mean_loss(x, target, params, norm)
    start = [[t.copy() for t in layer] for layer in params]
    halvings, epoch = 0, 0
    while epoch < epochs:
        saved = ([[t.copy() for t in layer] for layer in params], [[t.copy() for t in layer] for layer in vel])
        loss = train(vel, rng.permutation(x.shape[0]), lr * 0.5 ** (epoch // halve_every))
        if not np.isfinite(loss) or loss > GUARD * initial + GUARD_FLOOR:
            params, vel = saved
            if halvings == MAX_HALVINGS:
                break
            lr, halvings = lr / 2, halvings + 1
            continue
        epoch += 1
    if mean_loss(x, target, params, norm) > initial:
        params = start
    return [tuple(layer) for layer in params], lr, halvings, search


def mean_loss(x, target, params, norm):
    """mean_i ||Fhat(x_i) - target_i||^2 / norm, forward only."""
    return float(np.sum((forward(x, params) - target).astype(np.float64) ** 2)) / len(x) / norm


def loss_and_grads(x, target, params, norm):
    """loss = mean_i ||Fhat(x_i) - target_i||^2 / norm and its gradients [[dP, dQ, db]] per layer:
    dP = delta^T (h Q^T), dQ = (delta P)^T h, db = sum delta, delta_prev = (delta P) Q * [h > 0]."""
    hs, qhs = [x], []
    for l, (p, q, b) in enumerate(params):
        qh = hs[-1] @ q.T
        a = qh @ p.T + b
        qhs.append(qh)
        hs.append(np.maximum(a, 0) if l < len(params) - 1 else a)
    diff = hs[-1] - target
    loss = float(np.sum(diff.astype(np.float64) ** 2)) / len(x) / norm
    delta = (2.0 / (len(x) * norm)) * diff
    grads = [None] * len(params)
    for l in range(len(params) - 1, -1, -1):
        p, q, _ = params[l]
        dp_ = delta @ p                               # n x k
        grads[l] = [delta.T @ qhs[l], dp_.T @ hs[l], delta.sum(0)]
        if l > 0:
            delta = (dp_ @ q) * (hs[l] > 0)
    return loss, grads


def lrd(layers, k):
    """Truncated SVD of each weight: P = U_k sqrt(S_k), Q = sqrt(S_k) V_k^T, bias kept."""
    out = []
    for w, b in layers:
        kl = min(k, *w.shape)
        u, s, vt = np.linalg.svd(w.astype(np.float64), full_matrices=False)
        r = np.sqrt(s[:kl])
        out.append(((u[:, :kl] * r).astype(np.float32), (r[:, None] * vt[:kl]).astype(np.float32), b))
    return out
