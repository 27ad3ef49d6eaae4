"""Checks load_in_pytorch.py's NumPy decoding against files ger wrote: a fresh random MLP is compressed
by bin/ger with lrd, pq and bin; the decoded layers' outputs must give the output error `ger eval`
reports, BIN's weights must be mean|W_r| sign(W), and layers ger left dense must be the original's.
Needs the jar (mvn -B -q package -DskipTests) and NumPy, not torch. The seed is printed.

    python3 bench/device/test_load_numpy.py
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import load_in_pytorch as loader  # noqa: E402

GER = os.path.join(HERE, "..", "..", "bin", "ger")
SEED = time.time_ns() % (1 << 32)
RNG = np.random.default_rng(SEED)
DTYPES = {"F32": np.float32, "U8": np.uint8, "F64": np.float64, "I64": np.int64}


def check(cond, what):
    if not cond:
        raise AssertionError(f"seed {SEED}: {what}")


def write_safetensors(path, tensors, metadata):
    """The format: 8-byte little-endian header length, the JSON header, then the raw tensors."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, a in tensors.items():
        blob = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    """(tensors as NumPy arrays, metadata) of a safetensors file, as safetensors.numpy.load_file reads them."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + length:]
    tensors = {}
    for name, e in header.items():
        start, end = e["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype=np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")).reshape(e["shape"])
    return tensors, metadata


def ger(*args):
    r = subprocess.run([GER, *args, "--backend", "java"], capture_output=True, text=True)
    check(r.returncode == 0, f"bin/ger {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def test_decoded_layers_match_ger():
    # fc0 and fc1 have more rows than PQ's 256 centroids, so PQ shrinks them; 10-class fc2 stays dense.
    dims = [32, 512, 384, 10]
    names = ["fc0", "fc1", "fc2"]
    model = {}
    for i, name in enumerate(names):
        model[f"{name}.weight"] = (RNG.standard_normal((dims[i + 1], dims[i])) / np.sqrt(dims[i])).astype(np.float32)
        model[f"{name}.bias"] = (0.1 * RNG.standard_normal(dims[i + 1])).astype(np.float32)
    x = RNG.standard_normal((700, dims[0])).astype(np.float32)
    y = RNG.integers(0, dims[-1], size=x.shape[0]).astype(np.int64)
    reference = loader.forward_numpy(model, {}, names, x)
    with tempfile.TemporaryDirectory() as d:
        m, xs, ys = (os.path.join(d, f) for f in ("m.safetensors", "x.npy", "y.npy"))
        write_safetensors(m, model, {"layers": ",".join(names)})
        np.save(xs, x)
        np.save(ys, y)
        # --pq-dim 3 divides neither 32 nor 512: a narrower last sub-space.
        for method, knob in (("lrd", ["--rank", "8"]), ("pq", ["--pq-dim", "2"]), ("pq", ["--pq-dim", "3"]), ("bin", [])):
            c = os.path.join(d, f"{method}{''.join(knob)}.safetensors")
            ger("compress", "--model", m, "--calib", xs, "--method", method, *knob, "--out", c)
            tensors, meta = read_safetensors(c)
            check(meta["layers"].split(",") == names, f"{method}: layers {meta['layers']}")
            approx = loader.forward_numpy(tensors, meta, names, x)
            mine = np.linalg.norm(approx - reference) / np.linalg.norm(reference)
            reported = float(re.search(r"output relative error: ([0-9.]+)",
                                       ger("eval", "--model", m, "--compressed", c, "--data", xs, "--labels", ys)).group(1))
            check(abs(mine - reported) <= 2e-6 + 1e-4 * reported, f"{method}: decoded {mine:.7f}, ger eval {reported}")
            check(mine > 1e-3, f"{method}: the compressed model equals the original ({mine})")
            for name in names:
                form = meta[f"layer.{name}.form"]
                w = model[f"{name}.weight"]
                decoded = loader.layer_weights(tensors, meta, name)
                if form == "dense":
                    check(np.array_equal(decoded[0][0], w), f"{method} {name}: dense layer differs from the original")
                if form == "bin":
                    scale = np.abs(w.astype(np.float64)).mean(axis=1, keepdims=True)
                    expected = np.where(w >= 0, scale, -scale)
                    check(np.allclose(decoded[0][0], expected, rtol=1e-6, atol=0), f"{method} {name}: not mean|W_r| sign(W)")
                if form == "pq":
                    check(decoded[0][0].shape == w.shape, f"{name}: PQ decodes to {decoded[0][0].shape}")
            forms = [meta[f"layer.{n}.form"] for n in names]
            print(f"  {method}: forms {forms}, output error {mine:.6f} (ger eval {reported})")
            check({"lrd": "lowrank", "pq": "pq", "bin": "bin"}[method] in forms, f"{method}: forms {forms}")


if __name__ == "__main__":
    print("seed", SEED)
    if not os.path.isfile(os.path.join(HERE, "..", "..", "target", "ger.jar")):
        sys.exit("test_load_numpy.py needs the jar: mvn -B -q package -DskipTests")
    for name, fn in list(globals().items()):
        if name.startswith("test_"):
            t = time.perf_counter()
            fn()
            print(f"ok {name} ({time.perf_counter() - t:.1f} s)")
