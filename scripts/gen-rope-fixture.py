"""Reference RoPE inverse frequencies, computed with PyTorch in float32 step
by step as transformers' modeling_rope_utils does, for the RoPE tests.

Usage (from the repository root, with /usr/bin/python3 and python3-torch):
    /usr/bin/python3 scripts/gen-rope-fixture.py > test/fixtures/hf/rope-reference.json
"""
import json
import math

import torch

CASES = [
    dict(name="default, Llama-2 shape", head_dim=64, theta=10000.0, max_pos=4096, scaling=None),
    dict(name="default, Qwen2.5 shape", head_dim=64, theta=1000000.0, max_pos=32768, scaling=None),
    dict(name="linear", head_dim=128, theta=10000.0, max_pos=4096, scaling={"type": "linear", "factor": 4.0}),
    dict(name="dynamic, within the trained length", head_dim=64, theta=10000.0, max_pos=2048, seq_len=1000, scaling={"rope_type": "dynamic", "factor": 2.0}),
    dict(name="dynamic, past the trained length", head_dim=64, theta=10000.0, max_pos=2048, seq_len=6000, scaling={"rope_type": "dynamic", "factor": 2.0}),
    dict(name="llama3, Llama-3.2-1B", head_dim=64, theta=500000.0, max_pos=131072,
         scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
    dict(name="yarn, Qwen3 long context", head_dim=128, theta=1000000.0, max_pos=131072,
         scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}),
    dict(name="yarn, mscale and untruncated range", head_dim=64, theta=10000.0, max_pos=163840,
         scaling={"rope_type": "yarn", "factor": 40.0, "original_max_position_embeddings": 4096, "mscale": 1.0, "mscale_all_dim": 0.707, "beta_fast": 32, "beta_slow": 1, "truncate": False}),
]


def default_inv_freq(base, dim):
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def compute(case):
    dim, base, max_pos, s = case["head_dim"], case["theta"], case["max_pos"], case["scaling"]
    kind = None if s is None else s.get("rope_type", s.get("type"))
    if kind is None:
        return default_inv_freq(base, dim), 1.0
    if kind == "linear":
        return default_inv_freq(base, dim) / s["factor"], 1.0
    if kind == "dynamic":
        seq_len = max(case.get("seq_len", max_pos), max_pos)
        factor = s["factor"]
        base = base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2))
        return default_inv_freq(base, dim), 1.0
    if kind == "llama3":
        inv_freq = default_inv_freq(base, dim)
        factor, low, high, old = s["factor"], s["low_freq_factor"], s["high_freq_factor"], s["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        return torch.where(medium, smoothed, scaled), 1.0
    if kind == "yarn":
        original = s.get("original_max_position_embeddings", max_pos)
        factor = s.get("factor") or max_pos / original

        def get_mscale(scale, m=1):
            return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

        if s.get("mscale") and s.get("mscale_all_dim"):
            attention = get_mscale(factor, s["mscale"]) / get_mscale(factor, s["mscale_all_dim"])
        else:
            attention = get_mscale(factor)

        def correction_dim(rotations):
            return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

        low, high = correction_dim(s.get("beta_fast") or 32), correction_dim(s.get("beta_slow") or 1)
        if s.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
        pos_freqs = base ** (torch.arange(0, dim, 2).float() / dim)
        extrapolation, interpolation = 1.0 / pos_freqs, 1.0 / (factor * pos_freqs)
        keep = 1 - ramp
        return interpolation * (1 - keep) + extrapolation * keep, attention
    raise ValueError(kind)


out = []
for case in CASES:
    inv_freq, attention = compute(case)
    out.append({
        "name": case["name"],
        "headDim": case["head_dim"],
        "ropeTheta": case["theta"],
        "maxPositionEmbeddings": case["max_pos"],
        "seqLen": case.get("seq_len"),
        "rope_scaling": case["scaling"],
        "invFreq": [float(x) for x in inv_freq.tolist()],
        "attentionScaling": attention,
    })
print(json.dumps(out))
