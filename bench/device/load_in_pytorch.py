"""Loads a ger-compressed safetensors file into PyTorch as plain nn.Linear layers (the README's snippet)
and checks its outputs against the original model's on the calibration rows.

    python3 bench/device/load_in_pytorch.py model.safetensors compressed.safetensors calib.npy
"""
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file


def stack(tensors, names):
    """nn.Sequential of the layers in order: a dense layer <name>.weight/.bias, a compressed one
    <name>.0.weight (Q, k x in) then <name>.1.weight (P, out x k) and <name>.1.bias."""
    layers = []
    for i, name in enumerate(names):
        if f"{name}.weight" in tensors:
            w = tensors[f"{name}.weight"]
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            lin.load_state_dict({"weight": w, "bias": tensors[f"{name}.bias"]})
            layers.append(lin)
        else:
            q, p = tensors[f"{name}.0.weight"], tensors[f"{name}.1.weight"]
            pair = torch.nn.Sequential(torch.nn.Linear(q.shape[1], q.shape[0], bias=False),
                                       torch.nn.Linear(p.shape[1], p.shape[0]))
            pair.load_state_dict({"0.weight": q, "1.weight": p, "1.bias": tensors[f"{name}.1.bias"]})
            layers.append(pair)
        if i < len(names) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def main():
    model_file, compressed_file, calib_file = sys.argv[1:4]
    original = load_file(model_file)
    compressed = load_file(compressed_file)
    with safe_open(compressed_file, "pt") as f:  # the layer order is in the file's metadata
        meta = f.metadata()
    names = meta["layers"].split(",")
    x = torch.from_numpy(np.load(calib_file))
    with torch.no_grad():
        reference = stack(original, names)(x)
        approx = stack(compressed, names)(x)
    rel = float(torch.linalg.norm(approx - reference) / torch.linalg.norm(reference))
    print(f"PyTorch loaded {compressed_file} ({meta.get('method')}, ranks {meta.get('ranks')}): "
          f"output relative error {rel:.5f} against the original on {x.shape[0]} rows")
    sys.exit(0 if np.isfinite(rel) and rel < 1.0 else 1)


if __name__ == "__main__":
    main()
