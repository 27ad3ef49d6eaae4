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
# AS: layer-wise nonlinear initialisation (GER.md, "AS")

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


# the divergence guard: an epoch whose mean loss exceeds GUARD x the last good epoch's (the first:
# the loss at the start) is undone and retried at half the rate, at most MAX_HALVINGS times
GUARD = 1.1
MAX_HALVINGS = 6


def global_stage(x, target, factors, epochs, batch, lr, momentum=0.9, weight_decay=5e-4, seed=0,
                 halve_every=10):
    """SGD on loss = mean_i ||Fhat(x_i) - F(x_i)||^2 / mean_i ||F(x_i)||^2 with hand-written backprop.
    Weight decay on P and Q only, divided by the loss's normaliser (as ger). Guard: see GUARD. Returns (factors, lr settled on, halvings)."""
    params = [[p.copy(), q.copy(), b.copy()] for p, q, b in factors]
    vel = [[np.zeros_like(t) for t in layer] for layer in params]
    norm = float(np.mean(np.sum(target.astype(np.float64) ** 2, axis=1)))
    rng = np.random.default_rng(seed)
    last = rel_error(forward(x, params), target) ** 2
    halvings, epoch = 0, 0
    while epoch < epochs:
        saved = ([[t.copy() for t in layer] for layer in params], [[t.copy() for t in layer] for layer in vel])
        rate = lr * 0.5 ** (epoch // halve_every)
        total, count = 0.0, 0
        perm = rng.permutation(x.shape[0])
        for s in range(0, x.shape[0], batch):
            idx = perm[s:s + batch]
            batch_loss, grads = loss_and_grads(x[idx], target[idx], params, norm)
            total += batch_loss
            count += 1
            for layer, vlayer, glayer in zip(params, vel, grads):
                for j, (t, v, g) in enumerate(zip(layer, vlayer, glayer)):
                    v *= momentum
                    v += g + (weight_decay / norm * t if j < 2 else 0)
                    t -= rate * v
        loss = total / count
        if not np.isfinite(loss) or loss > GUARD * last:
            if halvings == MAX_HALVINGS:
                raise SystemExit(f"global stage diverged at lr {lr} after {halvings} halvings (loss {loss})")
            params, vel = saved
            lr, halvings = lr / 2, halvings + 1
            continue
        last, epoch = loss, epoch + 1
    return [tuple(layer) for layer in params], lr, halvings


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
