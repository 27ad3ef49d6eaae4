"""Loads a ger-compressed safetensors file into PyTorch as plain nn.Linear layers (the README's loader)
and checks its outputs against the original model's on the calibration rows.

A low-rank layer becomes two nn.Linear (Q without bias, then P with the bias); a dense layer one; a PQ
or BIN layer is decoded to its dense weight and becomes one nn.Linear too (PyTorch has no layer that
computes from codes or bits). The decoding is NumPy only (layer_weights), so that it is tested where
torch is absent (test_load_numpy.py).

    python3 bench/device/load_in_pytorch.py model.safetensors compressed.safetensors calib.npy
"""
import sys

import numpy as np


def pq_weight(codebooks, codes, inputs):
    """Dense out x in weight of a PQ layer: codebooks groups x centroids x s (fp32), codes out x groups
    (u8); row i's columns g*s .. g*s+s-1 are codebook g's entry codes[i, g]. When in is not a multiple
    of s the last sub-space is narrower (its codebook padded with zeros): the first `inputs` columns."""
    groups = codebooks.shape[0]
    sub = codebooks[np.arange(groups)[None, :], codes.astype(np.intp)]   # out x groups x s
    return sub.reshape(codes.shape[0], -1)[:, :inputs].astype(np.float32)


def bin_weight(signs, scales, inputs):
    """Dense out x in weight of a BIN layer: signs out x ceil(in/8) (u8), bit j of a row in byte j // 8
    at bit j % 8 (least significant first), set for +1; scales (out,) fp32: W[i, j] = +-scales[i]."""
    bits = np.unpackbits(signs, axis=1, bitorder="little")[:, :inputs]
    return (np.where(bits == 1, 1.0, -1.0) * scales[:, None]).astype(np.float32)


def layer_weights(tensors, metadata, name):
    """The (weight, bias) pairs of the nn.Linear layers that stand for layer name, in order: bias None
    for a low-rank layer's Q. tensors: name -> NumPy array as safetensors stores them; metadata: the
    file's __metadata__ (PQ and BIN need layer.<name>.in)."""
    if f"{name}.0.weight" in tensors:
        return [(tensors[f"{name}.0.weight"], None), (tensors[f"{name}.1.weight"], tensors[f"{name}.1.bias"])]
    if f"{name}.pq_codebooks" in tensors:
        weight = pq_weight(tensors[f"{name}.pq_codebooks"], tensors[f"{name}.pq_codes"],
                           int(metadata[f"layer.{name}.in"]))
    elif f"{name}.bin_signs" in tensors:
        weight = bin_weight(tensors[f"{name}.bin_signs"], tensors[f"{name}.bin_scales"],
                            int(metadata[f"layer.{name}.in"]))
    else:
        weight = tensors[f"{name}.weight"]
    return [(weight, tensors[f"{name}.bias"])]


def forward_numpy(tensors, metadata, names, x):
    """The stack's outputs on rows x (n x in) in float64: a ReLU after every layer but the last."""
    h = x.astype(np.float64)
    for i, name in enumerate(names):
        for weight, bias in layer_weights(tensors, metadata, name):
            h = h @ weight.astype(np.float64).T + (0 if bias is None else bias.astype(np.float64))
        if i < len(names) - 1:
            h = np.maximum(h, 0)
    return h


def torch_stack(tensors, metadata, names):
    """nn.Sequential of the layers in order, each as layer_weights gives it, a ReLU between layers."""
    import torch
    layers = []
    for i, name in enumerate(names):
        parts = []
        for weight, bias in layer_weights(tensors, metadata, name):
            lin = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
            state = {"weight": torch.from_numpy(np.array(weight, dtype=np.float32))}
            if bias is not None:
                state["bias"] = torch.from_numpy(np.array(bias, dtype=np.float32))
            lin.load_state_dict(state)
            parts.append(lin)
        layers.append(parts[0] if len(parts) == 1 else torch.nn.Sequential(*parts))
        if i < len(names) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def main():
    import torch
    from safetensors import safe_open
    from safetensors.numpy import load_file

    model_file, compressed_file, calib_file = sys.argv[1:4]
    original = load_file(model_file)
    compressed = load_file(compressed_file)
    with safe_open(compressed_file, "np") as f:  # the layer order and forms are in the file's metadata
        meta = f.metadata()
    names = meta["layers"].split(",")
    x = torch.from_numpy(np.load(calib_file))
    with torch.no_grad():
        reference = torch_stack(original, {}, names)(x)
        approx = torch_stack(compressed, meta, names)(x)
    rel = float(torch.linalg.norm(approx - reference) / torch.linalg.norm(reference))
    print(f"PyTorch loaded {compressed_file} ({meta.get('method')}, ranks {meta.get('ranks')}): "
          f"output relative error {rel:.5f} against the original on {x.shape[0]} rows")
    sys.exit(0 if np.isfinite(rel) and rel < 1.0 else 1)


if __name__ == "__main__":
    main()
