"""NumPy's side of bench/cpu/side_by_side.sh: the same phases on the same model and rows as
java/test/ger/bench/SideBySide.java, written plainly on bench/peer/reference_numpy.py (float32 for
the network, float64 for the SVDs and AS's eigenproblems). Prints one "phase seconds" line each.
Usage: side_by_side_numpy.py MODEL.safetensors TRAIN_IMAGES.gz ROWS (quick | as)
"""
import gzip
import json
import os
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peer"))
import reference_numpy as ref  # noqa: E402


def load_layers(path):
    """[(W out x in, b out)] in the order the file's metadata names them."""
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        data = f.read()

    def tensor(name):
        entry = header[name]
        start, end = entry["data_offsets"]
        return np.frombuffer(data[start:end], dtype=np.float32).reshape(entry["shape"]).copy()

    return [(tensor(n + ".weight"), tensor(n + ".bias")) for n in header["__metadata__"]["layers"].split(",")]


def load_images(path, rows):
    """The first rows images as n x 784 float32 in [0, 1], as ger's Idx reader."""
    with gzip.open(path, "rb") as f:
        _, n, r, c = struct.unpack(">IIII", f.read(16))
        pixels = np.frombuffer(f.read(rows * r * c), dtype=np.uint8)
    return (pixels.reshape(rows, r * c) / np.float32(255)).astype(np.float32)


def original_forward(x, layers):
    """Every layer's pre-activation, as ger's "activations" phase keeps them."""
    h, out = x, []
    for l, (w, b) in enumerate(layers):
        a = h @ w.T + b
        out.append(a)
        h = np.maximum(a, 0) if l < len(layers) - 1 else a
    return out


def timed(name, f):
    start = time.perf_counter()
    result = f()
    print(f"{name} {time.perf_counter() - start:.4f}", flush=True)
    return result


def main():
    model, images, rows, which = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    layers = load_layers(model)
    x = load_images(images, rows)
    if which == "quick":
        logits = timed("activations", lambda: original_forward(x, layers))[-1]
        factors = timed("svd", lambda: ref.lrd(layers, 128))
        timed("epoch", lambda: ref.global_stage(x, logits, factors, epochs=1, batch=256, lr=0.05))
        timed("activations-warm", lambda: original_forward(x, layers))
    elif which == "as":
        timed("as", lambda: ref.as_init(x, layers, 128, ref.parse_schedule("0.01x25,1x25")))
    else:
        raise SystemExit("quick or as, got " + which)


if __name__ == "__main__":
    main()
