#!/usr/bin/env python3
"""The side-by-side peer: GER (AS initialisation + global stage) and LRD on the shared synthetic
workload, written as a competent PyTorch user would (docs/method.md), timed phase by phase.

    python3 bench/peer/ger_peer.py --workload vgg19 --n 32768 --rank 256 --out peer.json
    python3 bench/peer/ger_peer.py --workload small --n 2000 --backend numpy --out dry.json   # CPU dry run

Torch path: Cholesky once per layer, triangular solves, torch.linalg.eigh for the top-k, autograd +
torch.optim.SGD for the global stage. Every phase is timed with torch.cuda.synchronize() around
time.perf_counter(). The JSON schema is in bench/README-peer.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_numpy as ref  # noqa: E402
import workload as wl  # noqa: E402


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", default="small", choices=sorted(wl.SHAPES))
    ap.add_argument("--n", type=int, default=2000, help="calibration rows (default 2000)")
    ap.add_argument("--rank", type=int, default=256, help="k for every layer (capped at min(out, in))")
    ap.add_argument("--schedule", default="0.01x25,1x25", help="lambda schedule, LAMBDAxCOUNT,... (default 0.01x25,1x25)")
    ap.add_argument("--epochs", type=int, default=20, help="global-stage epochs (default 20)")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", default="auto", help="SGD rate on the normalised loss, or auto (default): found by ger's "
                    "rate search (reference_numpy.search_rate); halved every 10 epochs and by the divergence guard")
    ap.add_argument("--weight-decay", type=float, default=5e-4, help="on P and Q only (default 5e-4)")
    ap.add_argument("--eps", type=float, default=1e-3, help="Gram ridge relative to its mean diagonal (default 1e-3)")
    ap.add_argument("--seed", type=int, default=42, help="workload seed (also seeds the minibatch order)")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 in the global stage's GEMMs (init and workload stay fp32)")
    ap.add_argument("--no-lrd", action="store_true", help="skip the LRD baseline")
    ap.add_argument("--no-ceilings", action="store_true", help="skip the SGEMM and copy-bandwidth measurements")
    ap.add_argument("--check", action="store_true", help="also run the numpy reference AS init (small workloads) and compare errors")
    ap.add_argument("--backend", choices=("torch", "numpy"), default="torch", help="numpy: the CPU dry run of the same pipeline")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", help="write the JSON here (default: print it)")
    a = ap.parse_args(argv)
    a.lambdas = ref.parse_schedule(a.schedule)
    if a.lr == "auto":
        a.lr = None
    else:
        try:
            a.lr = float(a.lr)
        except ValueError:
            ap.error(f"--lr takes auto or a positive number, got {a.lr!r}")
        if not a.lr > 0:
            ap.error("--lr must be positive")
    if a.n < 2 or a.rank < 1 or a.epochs < 0 or a.batch < 1:
        ap.error("--n >= 2, --rank >= 1, --epochs >= 0 and --batch >= 1 are required")
    return a


class Phases:
    """Named wall-clock phases in ms; sync() is called at both ends so device work is counted."""

    def __init__(self, sync=lambda: None):
        self.sync = sync
        self.items = []   # [(name, ms)]

    @contextmanager
    def time(self, name):
        self.sync()
        t = time.perf_counter()
        yield
        self.sync()
        self.add(name, (time.perf_counter() - t) * 1e3)

    def add(self, name, ms):
        self.items.append((name, ms))

    def get(self, name):
        return sum(ms for nm, ms in self.items if nm == name)

    def as_json(self):
        return [{"name": nm, "ms": round(ms, 3)} for nm, ms in self.items]


def add_end_to_end(phases: Phases):
    """end_to_end = as_init + balance + global_stage: what GER costs once the model and the calibration
    data sit on the device (workload generation, error evaluations, LRD and the ceilings excluded)."""
    phases.add("end_to_end", phases.get("as_init") + phases.get("balance") + phases.get("global_stage"))


def summarise(phases: Phases, layer_names, iters: dict, epochs: list):
    """The aggregate names the comparison uses: gram/cholesky (sums over layers), lambda_iteration (mean
    over every iteration of every layer) and per layer, global_epoch (mean)."""
    phases.add("gram", sum(phases.get("gram_" + n) for n in layer_names))
    phases.add("cholesky", sum(phases.get("cholesky_" + n) for n in layer_names))
    every = [ms for n in layer_names for ms in iters.get(n, [])]
    for n in layer_names:
        if iters.get(n):
            phases.add("lambda_iteration_" + n, sum(iters[n]) / len(iters[n]))
    if every:
        phases.add("lambda_iteration", sum(every) / len(every))
    if epochs:
        phases.add("global_epoch", sum(epochs) / len(epochs))


# ============================================================================================ torch

def relu_penalty_torch(yp, a, lam: float):
    """Step II, element-wise: the better of z0 = min(0, y') and z1 = max(0, (lam y' + t) / (1 + lam))."""
    import torch
    t = a.clamp_min(0)
    z0 = yp.clamp_max(0)
    z1 = ((lam * yp + t) / (1 + lam)).clamp_min(0)
    cost0 = t * t + lam * (z0 - yp).square()
    cost1 = (t - z1).square() + lam * (z1 - yp).square()
    return torch.where(cost1 <= cost0, z1, z0)


def as_init_torch(x, layers, k, lambdas, eps_rel, phases, iters):
    """AS bottom-up on the device. layers: [(name, W out x in, b out)]. Returns [(P, Q, b)], original logits."""
    import torch
    yhat, h = x, x
    factors = []
    for l, (name, w, bias) in enumerate(layers):
        relu = l < len(layers) - 1
        kl = min(k, *w.shape)
        with phases.time("init_" + name):
            a = torch.addmm(bias, h, w.T)                      # original pre-activation, n x out
            ybar = yhat.mean(0)
            yc = yhat - ybar
            with phases.time("gram_" + name):
                c = yc.T @ yc
                c.diagonal().add_(eps_rel * c.diagonal().mean())
            with phases.time("cholesky_" + name):
                low, info = torch.linalg.cholesky_ex(c)
                if info.item() != 0:
                    raise SystemExit(f"{name}: the Gram of the {yhat.shape[0]} x {yhat.shape[1]} layer input is not "
                                     f"positive definite at ridge {eps_rel} x mean diagonal (pivot {info.item()}); "
                                     f"raise --eps or --n")
            del c

            def step1(z):
                # G = Yc^T Z (Yc's columns sum to zero, so Z needs no centring), B = L^-1 G
                bm = torch.linalg.solve_triangular(low, yc.T @ z, upper=False)
                _, vecs = torch.linalg.eigh(bm.T @ bm)
                uk = vecs[:, -kl:].flip(1)                      # top-k, d_out x k
                qt = torch.linalg.solve_triangular(low.T, bm @ uk, upper=True)   # d_in x k
                return uk, qt, z.mean(0) - (ybar @ qt) @ uk.T

            z = a
            for lam in (lambdas if relu else []):
                t0 = _now(phases)
                p, qt, b = step1(z)
                z = relu_penalty_torch(torch.addmm(b, yhat @ qt, p.T), a, lam)
                iters.setdefault(name, []).append(_now(phases) - t0)
            p, qt, b = step1(z)
            del z, yc, low
            out = torch.addmm(b, yhat @ qt, p.T)
            factors.append((p, qt.T.contiguous(), b))
            yhat = out.clamp_min_(0) if relu else out
            h = a.clamp_min_(0) if relu else a
    return factors, h


def _now(phases):
    phases.sync()
    return time.perf_counter() * 1e3


def forward_torch(x, factors, batch=8192):
    import torch
    outs = []
    for s in range(0, x.shape[0], batch):
        h = x[s:s + batch]
        for l, (p, q, b) in enumerate(factors):
            h = torch.addmm(b, h @ q.T, p.T)
            if l < len(factors) - 1:
                h = h.clamp_min(0)
        outs.append(h)
    return torch.cat(outs)


def rel_error_torch(out, target):
    return float((out - target).double().norm() / target.double().norm())


def balance_torch(p, q):
    """Same product, factors U sqrt(S) and sqrt(S) V^T, through thin QRs (never the dense P Q)."""
    import torch
    qp, rp = torch.linalg.qr(p)
    qq, rq = torch.linalg.qr(q.T)
    u, s, vt = torch.linalg.svd(rp @ rq.T)
    r = s.sqrt()
    return (qp @ u) * r, (r[:, None] * vt) @ qq.T


def global_stage_torch(x, target, factors, args, phases, epoch_ms):
    """Autograd + SGD(momentum 0.9, weight decay 5e-4 / mean ||F||^2 on P and Q) on mean ||Fhat - F||^2 / mean ||F||^2,
    lr found by ger's rate search unless given, halved every 10 epochs; ger's divergence guard (ref.GUARD):
    an epoch whose loss is not finite or above GUARD x the loss before the stage is undone (parameters and
    momentum) and retried at half the rate; a stage that ends worse than it started returns its start."""
    import torch
    params = [[t.detach().clone().requires_grad_(True) for t in layer] for layer in factors]
    norm = target.double().square().sum(1).mean().float()
    gen = torch.Generator(device=x.device).manual_seed(args.seed)
    n = x.shape[0]

    def optimiser(rate):
        # Weight decay weighed as beside the paper's unnormalised loss: divided by the loss's normaliser (as ger).
        return torch.optim.SGD([{"params": [t for layer in params for t in layer[:2]],
                                 "weight_decay": args.weight_decay / float(norm)},
                                {"params": [layer[2] for layer in params], "weight_decay": 0.0}],
                               lr=rate, momentum=0.9)

    def fwd(h):
        for l, (p, q, b) in enumerate(params):
            h = torch.addmm(b, h @ q.T, p.T)
            if l < len(params) - 1:
                h = torch.relu(h)
        return h

    def train(opt, order):
        """One pass over the rows in order; its mean loss (read once, at the end)."""
        total = torch.zeros((), device=x.device, dtype=torch.float64)
        for s in range(0, len(order), args.batch):
            idx = order[s:s + args.batch]
            loss = (fwd(x[idx]) - target[idx]).square().sum(1).mean() / norm
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach().double() * len(idx)
        return total.item() / len(order)

    def mean_loss(rows):
        with torch.no_grad():
            return sum(float((fwd(x[rows[s:s + 8192]]) - target[rows[s:s + 8192]]).double().square().sum())
                       for s in range(0, len(rows), 8192)) / len(rows) / float(norm)

    def snapshot():
        return [t.detach().clone() for layer in params for t in layer]

    def restore(saved):
        with torch.no_grad():
            for t, v in zip([t for layer in params for t in layer], saved):
                t.copy_(v)

    search = None
    lr = args.lr
    if lr is None:
        rows = torch.randperm(n, device=x.device, generator=gen)[:min(n, ref.PROBE_BATCHES * args.batch)]
        start = snapshot()

        def trial(rate):
            opt = optimiser(rate)
            losses = []
            for _ in range(ref.PROBE_PASSES):
                losses.append(train(opt, rows))
                if not losses[-1] < float("inf"):
                    losses += [float("nan")] * (ref.PROBE_PASSES - len(losses))
                    break
            restore(start)
            return losses

        search = ref.search_rate(trial, mean_loss(rows))
        lr = search["chosen"]
        print(f"  rate search: largest steady {search['largest_steady']:g}, starting at {lr:g}", file=sys.stderr)
    opt = optimiser(lr)
    every = torch.arange(n, device=x.device)
    initial = mean_loss(every)
    start = snapshot()
    halvings, epoch = 0, 0
    while epoch < args.epochs:
        saved = (snapshot(), _copy_state(opt))
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 ** (epoch // 10)
        t0 = _now(phases)
        loss = train(opt, torch.randperm(n, device=x.device, generator=gen))
        epoch_ms.append(_now(phases) - t0)
        if not (loss == loss and loss < float("inf")) or loss > ref.GUARD * initial + ref.GUARD_FLOOR:
            restore(saved[0])
            opt.load_state_dict(saved[1])
            if halvings == ref.MAX_HALVINGS:
                print(f"  still diverging at lr {lr:g} after {halvings} halvings: kept the last good state", file=sys.stderr)
                break
            lr, halvings = lr / 2, halvings + 1
            print(f"  epoch {epoch}: loss {loss:.4g}, diverging: lr halved to {lr:g}, epoch restarted", file=sys.stderr)
            continue
        print(f"  epoch {epoch}: loss {loss:.5g} ({epoch_ms[-1]:.0f} ms)", file=sys.stderr)
        epoch += 1
    if mean_loss(every) > initial:
        restore(start)
    return [tuple(t.detach() for t in layer) for layer in params], lr, halvings, search


def _copy_state(opt):
    import copy
    return copy.deepcopy(opt.state_dict())


def lrd_torch(layers, k):
    import torch
    out = []
    for _, w, b in layers:
        kl = min(k, *w.shape)
        u, s, vt = torch.linalg.svd(w, full_matrices=False)
        r = s[:kl].sqrt()
        out.append((u[:, :kl] * r, r[:, None] * vt[:kl], b))
    return out


def ceilings_torch(device):
    """cuBLAS SGEMM 8192^3 (fp32 and TF32) in TFLOP/s and device-to-device copy in GB/s (read + write)."""
    import torch
    sync = torch.cuda.synchronize
    res = {}
    a = torch.randn(8192, 8192, device=device)
    b = torch.randn(8192, 8192, device=device)
    c = torch.empty(8192, 8192, device=device)
    prev = torch.backends.cuda.matmul.allow_tf32
    for key, tf32 in (("sgemm_tflops", False), ("sgemm_tf32_tflops", True)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.mm(a, b, out=c)
        sync()
        reps = 5 if not tf32 else 20
        t = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=c)
        sync()
        res[key] = round(2 * 8192 ** 3 * reps / (time.perf_counter() - t) / 1e12, 2)
    torch.backends.cuda.matmul.allow_tf32 = prev
    del a, b, c
    src = torch.empty(1 << 28, device=device)                  # 1 GiB
    dst = torch.empty_like(src)
    dst.copy_(src)
    sync()
    t = time.perf_counter()
    for _ in range(20):
        dst.copy_(src)
    sync()
    res["d2d_gbps"] = round(2 * src.numel() * 4 * 20 / (time.perf_counter() - t) / 1e9, 1)
    return res


def self_check_generator(device):
    """The torch int64 SplitMix64 against the numpy uint64 one (wrapping and shifts are where they differ)."""
    import numpy as np
    import torch
    got = wl.splitmix_torch(7, 1003, 123456, 4096, device).cpu().numpy().view(np.uint64)
    want = wl.splitmix_numpy(7, 1003, np.arange(123456, 123456 + 4096, dtype=np.uint64))
    if not np.array_equal(got, want):
        raise SystemExit("workload generator: torch SplitMix64 differs from numpy's on this device; the workload "
                         "would not match the Java one")
    u = wl.uniform_torch(7, 5, 3, 1000, device, unit=True).cpu().numpy()
    if not np.array_equal(u, wl.uniform_numpy(7, 5, 3, 1000, unit=True)):
        raise SystemExit("workload generator: torch uniforms differ from numpy's")
    return bool(torch.cuda.is_available())


def run_torch(args):
    try:
        import torch
    except ImportError:
        raise SystemExit("ger_peer.py: PyTorch is not installed here. Run it on the GPU machine, or use "
                         "--backend numpy for the CPU dry run of the same pipeline.")
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if cuda and not torch.cuda.is_available():
        raise SystemExit("ger_peer.py: --device cuda but torch.cuda.is_available() is False")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    phases = Phases(torch.cuda.synchronize if cuda else (lambda: None))
    self_check_generator(device)
    if cuda:
        torch.cuda.reset_peak_memory_stats()

    with phases.time("workload_generation"):
        w = wl.generate_torch(args.workload, args.n, args.seed, device)
    x = w.calib
    layers = [(L.name, L.weight, L.bias) for L in w.layers]
    iters, epoch_ms = {}, []
    with torch.no_grad():
        with phases.time("as_init"):
            factors, target = as_init_torch(x, layers, args.rank, args.lambdas, args.eps, phases, iters)
        e_init = rel_error_torch(forward_torch(x, factors), target)
        print(f"AS init: output rel. error {e_init:.4f}", file=sys.stderr)
        with phases.time("balance"):
            balanced = [balance_torch(p, q) + (b,) for p, q, b in factors]
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    with phases.time("global_stage"):
        tuned, lr, halvings, search = global_stage_torch(x, target, balanced, args, phases, epoch_ms)
    torch.backends.cuda.matmul.allow_tf32 = False
    add_end_to_end(phases)
    with torch.no_grad():
        e_ger = rel_error_torch(forward_torch(x, tuned), target)
        e_lrd = None
        if not args.no_lrd:
            with phases.time("lrd"):
                lrd = lrd_torch(layers, args.rank)
            e_lrd = rel_error_torch(forward_torch(x, lrd), target)
    summarise(phases, [n for n, _, _ in layers], iters, epoch_ms)
    result = {
        "device": torch.cuda.get_device_name(device) if cuda else platform.processor() or "cpu",
        "torch": torch.__version__,
        "peak_gib": round(torch.cuda.max_memory_allocated() / 2 ** 30, 2) if cuda else None,
    }
    if args.check:
        result["check"] = numpy_check(args, w, e_init)
    result.update(ceilings_torch(device) if cuda and not args.no_ceilings else {})
    result["lr_search"] = search
    return result, w, phases, e_init, e_ger, e_lrd, lr, halvings


def numpy_check(args, w, e_init):
    """The numpy reference AS init on the same (downloaded) workload: its error must match the torch one."""
    if w.calib.numel() > 50_000_000:
        return {"skipped": "workload too large for the numpy reference"}
    x = w.calib.cpu().numpy()
    layers = [(L.weight.cpu().numpy(), L.bias.cpu().numpy()) for L in w.layers]
    # the device-generated workload against the numpy one (products agree to float32 rounding)
    wn = wl.generate_numpy(args.workload, args.n, args.seed)
    gen_diff = max(float(abs(wn.calib - x).max()),
                   *(float(abs(a.weight - b[0]).max()) for a, b in zip(wn.layers, layers)),
                   *(float(abs(a.bias - b[1]).max()) for a, b in zip(wn.layers, layers)))
    if gen_diff > 1e-4:
        raise SystemExit(f"--check: the torch workload differs from numpy's by {gen_diff}")
    factors, target = ref.as_init(x, layers, args.rank, args.lambdas, args.eps)
    e_np = ref.rel_error(ref.forward(x, factors), target)
    if abs(e_np - e_init) > 1e-3 + 0.02 * e_np:
        raise SystemExit(f"--check: torch AS init error {e_init:.5f} differs from the numpy reference's {e_np:.5f}")
    return {"workload_max_abs_diff": gen_diff, "numpy_output_rel_error_init": e_np,
            "torch_output_rel_error_init": e_init}


# ============================================================================================ numpy

def run_numpy(args):
    """The CPU dry run: the same pipeline with reference_numpy (small workloads; no ceilings)."""
    phases = Phases()
    with phases.time("workload_generation"):
        w = wl.generate_numpy(args.workload, args.n, args.seed)
    x = w.calib
    layers = [(L.weight, L.bias) for L in w.layers]
    names = [L.name for L in w.layers]
    iters = {}
    with phases.time("as_init"):
        factors, target = ref.as_init(x, layers, args.rank, args.lambdas, args.eps, timed=phases.time,
                                      on_iteration=lambda name, ms: iters.setdefault(name, []).append(ms),
                                      names=names)
    e_init = ref.rel_error(ref.forward(x, factors), target)
    with phases.time("balance"):
        balanced = [ref.balance(p, q) + (b,) for p, q, b in factors]
    epoch_ms = []
    with phases.time("global_stage"):
        tuned, lr, halvings, search = ref.global_stage(x, target, balanced, args.epochs, args.batch, args.lr,
                                                        weight_decay=args.weight_decay, seed=args.seed)
    if args.epochs:
        epoch_ms = [phases.get("global_stage") / args.epochs]   # the reference does not time epochs singly
    add_end_to_end(phases)
    e_ger = ref.rel_error(ref.forward(x, tuned), target)
    e_lrd = None
    if not args.no_lrd:
        with phases.time("lrd"):
            lrd = ref.lrd(layers, args.rank)
        e_lrd = ref.rel_error(ref.forward(x, lrd), target)
    summarise(phases, names, iters, epoch_ms)
    result = {"device": "numpy on " + (platform.processor() or platform.machine()), "torch": None, "peak_gib": None,
              "lr_search": search}
    return result, w, phases, e_init, e_ger, e_lrd, lr, halvings


# ============================================================================================ main

def main(argv=None):
    args = parse_args(argv)
    run = run_torch if args.backend == "torch" else run_numpy
    head, w, phases, e_init, e_ger, e_lrd, lr, halvings = run(args)
    result = {
        "tool": "peer",
        "backend": args.backend,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **{k: v for k, v in head.items() if k not in ("sgemm_tflops", "sgemm_tf32_tflops", "d2d_gbps", "check")},
        "workload": {**w.describe(), "rank": args.rank, "schedule": args.schedule, "epochs": args.epochs,
                     "batch": args.batch, "eps": args.eps, "weight_decay": args.weight_decay, "tf32_global": args.tf32},
        "phases": phases.as_json(),
        "end_to_end_ms": round(phases.get("end_to_end"), 3),
        "output_rel_error_init": e_init,
        "output_rel_error": e_ger,
        "output_rel_error_lrd": e_lrd,
        "lr": lr,
        "lr_halvings": halvings,
        "sgemm_tflops": head.get("sgemm_tflops"),
        "sgemm_tf32_tflops": head.get("sgemm_tf32_tflops"),
        "d2d_gbps": head.get("d2d_gbps"),
    }
    if "check" in head:
        result["check"] = head["check"]
    text = json.dumps(result, indent=2)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text + "\n")
        print(f"wrote {args.out}: end to end {result['end_to_end_ms'] / 1e3:.2f} s, output rel. error "
              f"{e_init:.4f} (AS) -> {e_ger:.4f} (GER), LRD {e_lrd}", file=sys.stderr)
    else:
        print(text)


if __name__ == "__main__":
    main()
