"""The shared synthetic workload of the GPU benchmark: the same numbers in Java and Python from a seed.

The recipe is written down in WORKLOAD.md beside this file; ger.bench.Workload is the Java twin.
Every random number is a pure function of (seed, stream, index) through SplitMix64, so no file is
shipped and any element can be produced independently (vectorised here, in parallel in Java).

Two paths, same recipe:
  * numpy (float32, for tests and the CPU dry run): generate_numpy(name, n, seed)
  * torch on a device (the benchmark):               generate_torch(name, n, seed, device)
The random factors and the element-wise terms are bit-for-bit equal across paths and languages; the
dense products (weights, inputs) are GEMMs, equal up to float32 rounding of the summation order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------
# shapes

SHAPES = {
    # name: (d_0, d_1, d_2, d_3): input feature, fc6, fc7, fc8 outputs
    "vgg19": (25088, 4096, 4096, 1000),
    "alexnet": (9216, 4096, 4096, 1000),
    "small": (512, 256, 256, 10),
}
LAYER_NAMES = ("fc6", "fc7", "fc8")

MAX_WEIGHT_RANK = 512      # r_l = min(out, in, 512)
INPUT_RANK = 256           # r_0 = min(d_0, 256)
SPECTRUM_DECAY = 0.7       # s_t proportional to (t + 1)^-0.7
BIAS_SCALE = np.float32(0.1)
INPUT_SHIFT = np.float32(0.1)
INPUT_NOISE = np.float32(0.05)

# stream ids: layer l (0-based) uses 16 l + 1 (A), 16 l + 2 (B), 16 l + 3 (bias); inputs 1001..1003
STREAM_INPUT_G, STREAM_INPUT_C, STREAM_INPUT_NOISE = 1001, 1002, 1003


def stream_a(l: int) -> int:
    return 16 * l + 1


def stream_b(l: int) -> int:
    return 16 * l + 2


def stream_bias(l: int) -> int:
    return 16 * l + 3


def shapes(name: str) -> tuple[int, ...]:
    if name not in SHAPES:
        raise SystemExit(f"unknown workload '{name}': expected one of {', '.join(SHAPES)}")
    return SHAPES[name]


def weight_rank(out: int, inp: int) -> int:
    return min(out, inp, MAX_WEIGHT_RANK)


def input_rank(d0: int) -> int:
    return min(d0, INPUT_RANK)


def spectrum(r: int) -> np.ndarray:
    """s_t = (t+1)^-0.7 normalised to root-mean-square 1, computed in float64, returned as float32."""
    s = np.power(np.arange(1, r + 1, dtype=np.float64), -SPECTRUM_DECAY)
    s /= math.sqrt(float(np.mean(s * s)))
    return s.astype(np.float32)


def weight_alpha(r: int, inp: int) -> np.float32:
    """The GEMM alpha of W = alpha (A diag(s)) B: He-like gain so relu activations stay O(1)."""
    return np.float32(3.0 * math.sqrt(2.0 / (r * inp)))


def input_alpha(r0: int) -> np.float32:
    """The GEMM alpha of G C: unit variance pre-activations (uniform [-1,1) has variance 1/3)."""
    return np.float32(3.0 / math.sqrt(r0))


# ---------------------------------------------------------------------------------------------
# SplitMix64, counter-based

GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
MASK64 = (1 << 64) - 1


def mix64(z: int) -> int:
    """SplitMix64's output function on one python int (the scalar reference)."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def stream_key(seed: int, stream: int) -> int:
    """key = mix64(seed + GOLDEN * (stream + 1)) (mod 2^64)."""
    return mix64((seed + GOLDEN * (stream + 1)) & MASK64)


def splitmix_scalar(seed: int, stream: int, index: int) -> int:
    """Element `index` of a stream: mix64(key + GOLDEN * (index + 1)), i.e. the (index+1)-th output of
    SplitMix64 started at state key."""
    return mix64((stream_key(seed, stream) + GOLDEN * (index + 1)) & MASK64)


def splitmix_numpy(seed: int, stream: int, index: np.ndarray) -> np.ndarray:
    """Vectorised splitmix_scalar over a uint64 index array (numpy uint64 arithmetic wraps mod 2^64)."""
    with np.errstate(over="ignore"):
        z = np.uint64(stream_key(seed, stream)) + np.uint64(GOLDEN) * (index.astype(np.uint64) + np.uint64(1))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
        return z ^ (z >> np.uint64(31))


def to_uniform_pm1(bits: np.ndarray) -> np.ndarray:
    """uint64 -> float32 in [-1, 1): (top 24 bits) * 2^-23 - 1, exact in float32."""
    top = (bits >> np.uint64(40)).astype(np.float32)
    return top * np.float32(2.0 ** -23) - np.float32(1.0)


def to_uniform_01(bits: np.ndarray) -> np.ndarray:
    """uint64 -> float32 in [0, 1): (top 24 bits) * 2^-24, exact in float32."""
    return (bits >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)


def uniform_numpy(seed: int, stream: int, rows: int, cols: int, unit: bool = False) -> np.ndarray:
    """rows x cols float32, element (i, j) from index i * cols + j; [-1, 1), or [0, 1) if unit."""
    bits = splitmix_numpy(seed, stream, np.arange(rows * cols, dtype=np.uint64)).reshape(rows, cols)
    return to_uniform_01(bits) if unit else to_uniform_pm1(bits)


# ---------------------------------------------------------------------------------------------
# numpy path


@dataclass
class Layer:
    name: str
    weight: object   # out x in
    bias: object     # out (1-D)


@dataclass
class Workload:
    name: str
    n: int
    seed: int
    layers: list     # [Layer]
    calib: object    # n x d_0, >= 0

    def describe(self) -> dict:
        d = shapes(self.name)
        return {"name": self.name, "n": self.n, "seed": self.seed, "dims": list(d),
                "layers": [{"name": L.name, "out": int(L.weight.shape[0]), "in": int(L.weight.shape[1]),
                            "weight_rank": weight_rank(int(L.weight.shape[0]), int(L.weight.shape[1]))}
                           for L in self.layers],
                "input_rank": input_rank(d[0])}


def weight_factors_numpy(seed: int, l: int, out: int, inp: int):
    """(A diag(s): out x r, B: r x in, bias: out), float32, all element-wise so bit-exact."""
    r = weight_rank(out, inp)
    a = uniform_numpy(seed, stream_a(l), out, r) * spectrum(r)[None, :]
    b = uniform_numpy(seed, stream_b(l), r, inp)
    bias = uniform_numpy(seed, stream_bias(l), 1, out)[0] * BIAS_SCALE
    return a, b, bias


def input_finish(pre: np.ndarray, noise01: np.ndarray) -> np.ndarray:
    """x = relu(pre + 0.1) + 0.05 u, u in [0, 1); pre already holds alpha G C. float32 throughout."""
    return np.maximum(pre + INPUT_SHIFT, np.float32(0.0)) + INPUT_NOISE * noise01


def generate_numpy(name: str, n: int, seed: int) -> Workload:
    d = shapes(name)
    layers = []
    for l in range(3):
        out, inp = d[l + 1], d[l]
        a, b, bias = weight_factors_numpy(seed, l, out, inp)
        w = (weight_alpha(a.shape[1], inp) * (a @ b)).astype(np.float32)
        layers.append(Layer(LAYER_NAMES[l], w, bias))
    r0 = input_rank(d[0])
    g = uniform_numpy(seed, STREAM_INPUT_G, n, r0)
    c = uniform_numpy(seed, STREAM_INPUT_C, r0, d[0])
    pre = (input_alpha(r0) * (g @ c)).astype(np.float32)
    x = input_finish(pre, uniform_numpy(seed, STREAM_INPUT_NOISE, n, d[0], unit=True))
    return Workload(name, n, seed, layers, x)


# ---------------------------------------------------------------------------------------------
# torch path (imported lazily: torch need not exist for the numpy path)

def _signed(u: int) -> int:
    return u - (1 << 64) if u >= 1 << 63 else u


def splitmix_torch(seed: int, stream: int, start: int, count: int, device):
    """splitmix_numpy for indices [start, start + count) in torch int64 on `device`.

    torch has no general uint64 arithmetic, so this works in int64: + and * wrap mod 2^64 in two's
    complement exactly as uint64 does; >> is arithmetic, so a logical shift by s is (x >> s) & (2^(64-s)-1).
    """
    import torch
    idx = torch.arange(start + 1, start + count + 1, dtype=torch.int64, device=device)
    z = idx * _signed(GOLDEN) + _signed(stream_key(seed, stream))
    z = (z ^ ((z >> 30) & ((1 << 34) - 1))) * _signed(MIX1)
    z = (z ^ ((z >> 27) & ((1 << 37) - 1))) * _signed(MIX2)
    return z ^ ((z >> 31) & ((1 << 33) - 1))


def uniform_torch(seed: int, stream: int, rows: int, cols: int, device, unit: bool = False,
                  chunk: int = 1 << 26):
    """uniform_numpy on a torch device, float32, generated in chunks of `chunk` elements (int64 scratch)."""
    import torch
    total = rows * cols
    out = torch.empty(total, dtype=torch.float32, device=device)
    scale, shift = (2.0 ** -24, 0.0) if unit else (2.0 ** -23, 1.0)
    for s in range(0, total, chunk):
        c = min(chunk, total - s)
        top = ((splitmix_torch(seed, stream, s, c, device) >> 40) & ((1 << 24) - 1)).to(torch.float32)
        out[s:s + c] = top * scale - shift
    return out.view(rows, cols)


def generate_torch(name: str, n: int, seed: int, device) -> Workload:
    """The workload on a torch device; products in strict fp32 (TF32 off while generating)."""
    import torch
    d = shapes(name)
    prev_tf32 = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        with torch.no_grad():
            layers = []
            for l in range(3):
                out, inp = d[l + 1], d[l]
                r = weight_rank(out, inp)
                a = uniform_torch(seed, stream_a(l), out, r, device) * torch.from_numpy(spectrum(r)).to(device)
                b = uniform_torch(seed, stream_b(l), r, inp, device)
                bias = uniform_torch(seed, stream_bias(l), 1, out, device)[0] * float(BIAS_SCALE)
                w = (a @ b) * float(weight_alpha(r, inp))
                del a, b
                layers.append(Layer(LAYER_NAMES[l], w, bias))
            r0 = input_rank(d[0])
            g = uniform_torch(seed, STREAM_INPUT_G, n, r0, device)
            c = uniform_torch(seed, STREAM_INPUT_C, r0, d[0], device)
            x = (g @ c) * float(input_alpha(r0))
            del g, c
            # finish row block by row block so the noise never needs a second n x d_0 buffer
            rows_per = max(1, (1 << 26) // d[0])
            for i in range(0, n, rows_per):
                m = min(rows_per, n - i)
                noise = _uniform_block_torch(seed, STREAM_INPUT_NOISE, i * d[0], m * d[0], device).view(m, d[0])
                blk = x[i:i + m]
                # two separate roundings, as numpy and Java do (add_ with alpha may fuse into one FMA)
                blk.add_(float(INPUT_SHIFT)).clamp_(min=0.0).add_(noise.mul_(float(INPUT_NOISE)))
            return Workload(name, n, seed, layers, x)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = prev_tf32


def _uniform_block_torch(seed: int, stream: int, start: int, count: int, device):
    """[0, 1) uniforms for stream indices [start, start + count), float32."""
    import torch
    top = ((splitmix_torch(seed, stream, start, count, device) >> 40) & ((1 << 24) - 1)).to(torch.float32)
    return top * (2.0 ** -24)
