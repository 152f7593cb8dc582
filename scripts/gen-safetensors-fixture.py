"""Reference .safetensors bytes written by PyTorch tensors, for the reader and
writer tests. The header follows the format description (8-byte little-endian
length, compact JSON with __metadata__ first, space padding to 8 bytes); the
tensor bytes are PyTorch's own, including its float32 -> bfloat16/float16
rounding. Python's safetensors package is not needed.

Usage (from the repository root, with /usr/bin/python3 and python3-torch):
    /usr/bin/python3 scripts/gen-safetensors-fixture.py test/fixtures/hf/torch-reference
writes torch-reference.safetensors and torch-reference.json (the float32
sources the half-precision tensors were rounded from, and every value as read back).
"""
import json
import math
import struct
import sys

import torch

# float32 inputs chosen to exercise rounding: ties to even, carries into the
# exponent, overflow, subnormals of both formats, signed zero, inf and NaN.
HALF_SOURCES = [
    1.0, -2.5, 1.0 + 2**-8, 1.0 + 3 * 2**-9, 1.0 + 2**-11, 1.0 + 3 * 2**-12, 65504.0, 65519.0, 65520.0,
    2**-14, 2**-24, 2**-25, 3 * 2**-26, 1e-8, 1e-40, 3.4e38, -0.0, math.inf, -math.inf, math.nan,
    0.1, -1234.5678, 2**-126, 1.0 - 2**-24,
]


def to_json_number(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def main(stem):
    source = torch.tensor(HALF_SOURCES, dtype=torch.float32)
    tensors = [
        ("weight.f32", torch.arange(-6, 6, dtype=torch.float32).reshape(3, 4) / 3),
        ("weight.bf16", source.to(torch.bfloat16)),
        ("weight.f16", source.to(torch.float16)),
        ("stats.f64", torch.tensor([math.pi, -1e300, 5e-324], dtype=torch.float64)),
        ("ids.i64", torch.tensor([-(2**40), 0, 7, 2**53], dtype=torch.int64)),
        ("ids.i32", torch.tensor([[-2147483648, 2147483647], [0, -1]], dtype=torch.int32)),
        ("bytes.u8", torch.tensor([0, 1, 255], dtype=torch.uint8)),
        ("small.i8", torch.tensor([-128, 127], dtype=torch.int8)),
        ("mask.bool", torch.tensor([True, False, True])),
        ("empty.f32", torch.zeros(0, 4, dtype=torch.float32)),
        ("scalar.f32", torch.tensor(2.5, dtype=torch.float32)),
    ]
    dtype_names = {
        torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16", torch.float64: "F64",
        torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.int8: "I8", torch.bool: "BOOL",
    }

    def raw(t):
        t = t.contiguous()
        if t.dtype in (torch.bfloat16, torch.float16):
            t = t.view(torch.int16)
        return t.numpy().tobytes()

    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, t in tensors:
        data = raw(t)
        header[name] = {"dtype": dtype_names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(stem + ".safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for data in blobs:
            f.write(data)

    expected = {
        "half_sources": [to_json_number(x) for x in source.tolist()],
        "values": {name: [to_json_number(float(x)) for x in t.flatten().tolist()] for name, t in tensors},
    }
    with open(stem + ".json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


main(sys.argv[1])
