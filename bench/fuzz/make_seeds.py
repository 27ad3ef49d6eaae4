"""Writes the seed corpus of ReadersFuzzTest: small valid files and the malformed ones issue #10 found."""
import gzip
import json
import os
import struct
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "java/test-resources/ger/io/ReadersFuzzTestInputs"


def save(reader, name, data):
    os.makedirs(os.path.join(root, reader), exist_ok=True)
    with open(os.path.join(root, reader, name), "wb") as f:
        f.write(data)


def safetensors(header, data, raw_header=None):
    h = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + data


def f32(values):
    return struct.pack("<%df" % len(values), *values)


w0, b0, w1, b1 = f32([0.5, -1, 2, 0.25, 1, -0.75]), f32([0.1, -0.2]), f32([1.5, -0.5]), f32([0.3])
stack = {"fc0.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
         "fc0.bias": {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]},
         "fc1.weight": {"dtype": "F32", "shape": [1, 2], "data_offsets": [32, 40]},
         "fc1.bias": {"dtype": "F32", "shape": [1], "data_offsets": [40, 44]},
         "__metadata__": {"layers": "fc0,fc1"}}
data = w0 + b0 + w1 + b1
save("safetensors", "valid-stack", safetensors(stack, data))
save("safetensors", "valid-f16-bf16", safetensors(
    {"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
     "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [4, 8]}}, bytes([0, 60, 0, 188, 128, 63, 0, 64])))
save("safetensors", "overlapping", safetensors(
    {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
     "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, f32([1, 2])))
save("safetensors", "hole", safetensors({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, f32([1, 2])))
save("safetensors", "left-over", safetensors({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, f32([1, 2])))
save("safetensors", "float-offsets", safetensors(None, f32([1]),
                                                 b'{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4.0]}}'))
save("safetensors", "bom", safetensors(None, f32([1]),
                                       b'\xef\xbb\xbf{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'))
save("safetensors", "overlong-utf8", safetensors(None, f32([1]),
                                                 b'{"a\xc0\xafb":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'))
save("safetensors", "zero-rows", safetensors(
    {"fc0.weight": {"dtype": "F32", "shape": [0, 32], "data_offsets": [0, 0]},
     "fc0.bias": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}, b""))
save("safetensors", "comma-name", safetensors(
    {"a,b.weight": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]},
     "a,b.bias": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, f32([1, 2])))
save("safetensors", "truncated", safetensors(stack, data)[:-5])


def tiled(tensors, metadata):
    """A header whose offsets tile the data: tensors is [(name, dtype, shape, bytes)]."""
    header, at = {"__metadata__": metadata}, 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [at, at + len(raw)]}
        at += len(raw)
    return safetensors(header, b"".join(t[3] for t in tensors))


save("safetensors", "compressed-lowrank-bin", tiled(
    [("fc0.0.weight", "F32", [1, 3], f32([1, -2, 0.5])), ("fc0.1.weight", "F32", [2, 1], f32([0.75, -1])),
     ("fc0.1.bias", "F32", [2], f32([0.1, 0.2])), ("fc1.bin_scales", "F32", [1], f32([0.3])),
     ("fc1.bias", "F32", [1], f32([-0.4])), ("fc1.bin_signs", "U8", [1, 1], bytes([2]))],
    {"layers": "fc0,fc1", "layer.fc0.form": "lowrank", "layer.fc1.form": "bin", "layer.fc1.in": "2"}))
save("safetensors", "compressed-pq-dense", tiled(
    [("fc0.pq_codebooks", "F32", [2, 2, 2], f32([1, 2, 3, 4, 5, 6, 7, 8])), ("fc0.bias", "F32", [3], f32([0, 1, 2])),
     ("fc1.weight", "F32", [1, 3], f32([1, 1, -1])), ("fc1.bias", "F32", [1], f32([0.5])),
     ("fc0.pq_codes", "U8", [3, 2], bytes([0, 1, 1, 0, 1, 1]))],
    {"layers": "fc0,fc1", "layer.fc0.form": "pq", "layer.fc0.in": "4", "layer.fc0.subdim": "2",
     "layer.fc0.centroids": "2", "layer.fc1.form": "dense"}))


def npy(dict_text, data, major=1):
    prefix = 10 if major == 1 else 12
    total = (prefix + len(dict_text) + 1 + 63) // 64 * 64
    padded = dict_text + " " * (total - prefix - len(dict_text) - 1) + "\n"
    length = struct.pack("<H", len(padded)) if major == 1 else struct.pack("<I", len(padded))
    return b"\x93NUMPY" + bytes([major, 0]) + length + padded.encode("latin-1") + data


save("npy", "valid-f4", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f32([1, 2, 3, 4, 5, 6])))
save("npy", "valid-i8-labels", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                                   struct.pack("<3q", 0, 7, 2), major=2))
save("npy", "valid-f8", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", struct.pack("<2d", 1.5, -2)))
save("npy", "huge-shape", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647), }",
                              bytes(256)))
save("npy", "no-closing-brace", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), ", f32([1])))
save("npy", "duplicate-descr", npy("{'descr': '<i4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }",
                                   f32([1])))
save("npy", "fortran", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }", f32([1, 2])))


def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">i", d) for d in dims) + data


images = idx([2, 2, 3], bytes(range(12)))
save("idx", "valid-images", images)
save("idx", "valid-labels", idx([3], bytes([1, 0, 9])))
save("idx", "valid-images-gzip", gzip.compress(images, mtime=0))
save("idx", "huge-dims", idx([0x7FFFFFFF] * 3, b""))
corrupt = bytearray(gzip.compress(images, mtime=0))
corrupt[-1] ^= 0x01
save("idx", "gzip-bad-length", bytes(corrupt))
save("idx", "gzip-trailing-garbage", gzip.compress(images, mtime=0) + b"garbage")
