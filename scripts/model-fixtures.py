#!/usr/bin/env python3
"""Reference models and values for the decoder tests, produced by PyTorch.

    /usr/bin/python3 scripts/model-fixtures.py   # writes test/fixtures/models/<family>/

For each family (Llama with "llama3" RoPE scaling; Qwen2 with q/k/v biases,
tied embeddings, bf16 weights and a padded vocabulary; Qwen3 with q/k RMSNorm
and a head_dim wider than hidden_size / heads) this builds a tiny random model,
saves it as a Hugging Face folder (config.json, model.safetensors, a
character-level tokenizer.json), and writes reference.json: logits at a few
positions, per-token log-probs of fixed sequences, gradients of their sum with
respect to a few parameters, and greedy continuations of a few prompts.

The model below is an independent, plain PyTorch implementation written from
the Hugging Face modeling semantics (transformers is not needed), computed in
float64 so that the tests can hold the project's float32 results to 1e-4.
"""
import json
import math
import os
import struct

import torch

DT = torch.float64
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "models")

# ---------------------------------------------------------------- tokenizer
SPECIALS = ["<pad>", "<s>", "</s>"]
ALPHABET = ["\n"] + [chr(c) for c in range(0x20, 0x7F)]
TOKENS = SPECIALS + ALPHABET  # 99 tokens; ids past these are vocabulary padding


def tokenizer_files():
    """A character-level tokenizer.json (BPE without merges) and its tokenizer_config.json."""
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(SPECIALS)],
        "normalizer": None, "pre_tokenizer": None, "post_processor": None, "decoder": {"type": "Fuse"},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(TOKENS)}, "merges": []},
    }
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
              "pad_token": "<pad>", "clean_up_tokenization_spaces": False, "model_max_length": 4096}
    return tokenizer, config


CHAT_TEMPLATE = ("{%- for message in messages %}{{- message.role + ': ' + message.content + '\\n' }}{%- endfor %}"
                 "{%- if add_generation_prompt %}{{- 'assistant: ' }}{%- endif %}")

# ---------------------------------------------------------------- families
FAMILIES = {
    "llama": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "vocab_size": 99, "hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 2,
        "num_attention_heads": 6, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "silu",
        "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        # original_max_position_embeddings 64 with head_dim 8 puts one frequency in each branch
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 64},
        "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
        "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32", "initializer_range": 0.02,
    },
    "qwen2": {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
        "vocab_size": 128, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu",
        "max_position_embeddings": 512, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_scaling": None,
        "tie_word_embeddings": True, "use_sliding_window": False, "sliding_window": None, "max_window_layers": 2,
        "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "bfloat16", "initializer_range": 0.02,
    },
    "qwen3": {
        "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
        "vocab_size": 112, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "hidden_act": "silu",
        "max_position_embeddings": 512, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_scaling": None,
        "tie_word_embeddings": False, "attention_bias": False, "use_sliding_window": False, "sliding_window": None,
        "max_window_layers": 3, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
        "initializer_range": 0.02,
    },
}


def head_dim(c):
    return c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]


def parameter_shapes(c):
    """Hugging Face parameter names and shapes of the family's model, in checkpoint order."""
    d, ffn, hd = c["hidden_size"], c["intermediate_size"], head_dim(c)
    q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    qkv_bias = c["model_type"] == "qwen2" or c.get("attention_bias", False)
    o_bias = c["model_type"] != "qwen2" and c.get("attention_bias", False)
    shapes = {"model.embed_tokens.weight": (c["vocab_size"], d)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes[p + "input_layernorm.weight"] = (d,)
        for name, out in (("q_proj", q), ("k_proj", kv), ("v_proj", kv)):
            shapes[p + f"self_attn.{name}.weight"] = (out, d)
            if qkv_bias:
                shapes[p + f"self_attn.{name}.bias"] = (out,)
        shapes[p + "self_attn.o_proj.weight"] = (d, q)
        if o_bias:
            shapes[p + "self_attn.o_proj.bias"] = (d,)
        if c["model_type"] == "qwen3":
            shapes[p + "self_attn.q_norm.weight"] = (hd,)
            shapes[p + "self_attn.k_norm.weight"] = (hd,)
        shapes[p + "post_attention_layernorm.weight"] = (d,)
        shapes[p + "mlp.gate_proj.weight"] = (ffn, d)
        shapes[p + "mlp.up_proj.weight"] = (ffn, d)
        shapes[p + "mlp.down_proj.weight"] = (d, ffn)
    shapes["model.norm.weight"] = (d,)
    if not c["tie_word_embeddings"]:
        shapes["lm_head.weight"] = (c["vocab_size"], d)
    return shapes


def random_parameters(c, generator):
    """Weights scaled like 1/sqrt(fan_in) (so logits are far from uniform), biases and norm scales around their defaults."""
    params = {}
    for name, shape in parameter_shapes(c).items():
        if name.endswith("norm.weight"):
            t = 1 + 0.2 * torch.randn(shape, generator=generator, dtype=DT)
        elif name.endswith(".bias"):
            t = 0.3 * torch.randn(shape, generator=generator, dtype=DT)
        elif name == "model.embed_tokens.weight":
            t = torch.randn(shape, generator=generator, dtype=DT)
        else:
            t = torch.randn(shape, generator=generator, dtype=DT) * (1.5 / math.sqrt(shape[1]))
        # The stored precision is the model: round to it, then compute in float64.
        stored = torch.bfloat16 if c["torch_dtype"] == "bfloat16" else torch.float32
        params[name] = t.to(stored).to(DT)
    return params


# ---------------------------------------------------------------- the model
def rope_inverse_frequencies(c):
    hd, base = head_dim(c), c["rope_theta"]
    inv = 1.0 / base ** (torch.arange(0, hd, 2, dtype=DT) / hd)
    s = c.get("rope_scaling")
    if s is None:
        return inv
    assert s["rope_type"] == "llama3"
    old = s["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / s["low_freq_factor"], old / s["high_freq_factor"]
    out = []
    for f in inv.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            out.append(f)
        elif wavelen > low_wavelen:
            out.append(f / s["factor"])
        else:
            smooth = (old / wavelen - s["low_freq_factor"]) / (s["high_freq_factor"] - s["low_freq_factor"])
            out.append((1 - smooth) * f / s["factor"] + smooth * f)
    return torch.tensor(out, dtype=DT)


def rms_norm(x, weight, eps):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def apply_rope(x, cos, sin):
    # x [B, heads, T, D]; cos/sin [T, D]
    return x * cos + rotate_half(x) * sin


def forward(c, p, ids):
    """ids [B, T] (long) -> logits [B, T, vocab], positions 0..T-1, causal attention."""
    B, T = ids.shape
    H, Hkv, hd, eps = c["num_attention_heads"], c["num_key_value_heads"], head_dim(c), c["rms_norm_eps"]
    angles = torch.arange(T, dtype=DT)[:, None] * rope_inverse_frequencies(c)[None, :]
    cos, sin = torch.cat([angles.cos()] * 2, -1), torch.cat([angles.sin()] * 2, -1)
    causal = torch.ones(T, T, dtype=torch.bool).tril()

    def linear(x, name):
        y = x @ p[name + ".weight"].T
        return y + p[name + ".bias"] if name + ".bias" in p else y

    x = p["model.embed_tokens.weight"][ids]
    for i in range(c["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        h = rms_norm(x, p[pre + "input_layernorm.weight"], eps)
        q = linear(h, pre + "self_attn.q_proj").view(B, T, H, hd)
        k = linear(h, pre + "self_attn.k_proj").view(B, T, Hkv, hd)
        v = linear(h, pre + "self_attn.v_proj").view(B, T, Hkv, hd)
        if c["model_type"] == "qwen3":
            q = rms_norm(q, p[pre + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, p[pre + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        k, v = k.repeat_interleave(H // Hkv, dim=1), v.repeat_interleave(H // Hkv, dim=1)
        scores = (q @ k.transpose(-1, -2)) * hd ** -0.5
        scores = scores.masked_fill(~causal, float("-inf"))
        attn = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H * hd)
        x = x + linear(attn, pre + "self_attn.o_proj")
        h = rms_norm(x, p[pre + "post_attention_layernorm.weight"], eps)
        gate, up = linear(h, pre + "mlp.gate_proj"), linear(h, pre + "mlp.up_proj")
        x = x + linear(torch.nn.functional.silu(gate) * up, pre + "mlp.down_proj")
    x = rms_norm(x, p["model.norm.weight"], eps)
    head = p["model.embed_tokens.weight"] if c["tie_word_embeddings"] else p["lm_head.weight"]
    return x @ head.T


def greedy(c, p, prompt, new_tokens):
    """Argmax continuation (full recomputation each step); also the smallest top-1/top-2 logit gap seen."""
    ids, gap = list(prompt), math.inf
    for _ in range(new_tokens):
        logits = forward(c, p, torch.tensor([ids]))[0, -1]
        top = logits.topk(2).values
        gap = min(gap, float(top[0] - top[1]))
        ids.append(int(logits.argmax()))
    return ids[len(prompt):], gap


# ---------------------------------------------------------------- files
def write_safetensors(path, tensors, dtype):
    names = {torch.float32: "F32", torch.bfloat16: "BF16"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        t = t.to(dtype).contiguous()
        data = (t.view(torch.int16) if dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": names[dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for data in blobs:
            f.write(data)


def write_json(path, value, indent=None):
    with open(path, "w") as f:
        json.dump(value, f, indent=indent)
        f.write("\n")


def rounded(values):
    return [float(f"{v:.9g}") for v in values]


def main():
    for seed, (family, config) in enumerate(FAMILIES.items()):
        generator = torch.Generator().manual_seed(100 + seed)
        params = random_parameters(config, generator)
        folder = os.path.join(OUT, family)
        os.makedirs(folder, exist_ok=True)
        write_json(os.path.join(folder, "config.json"), config, indent=2)
        write_safetensors(os.path.join(folder, "model.safetensors"), params,
                          torch.bfloat16 if config["torch_dtype"] == "bfloat16" else torch.float32)
        tokenizer, tokenizer_config = tokenizer_files()
        write_json(os.path.join(folder, "tokenizer.json"), tokenizer)
        write_json(os.path.join(folder, "tokenizer_config.json"), tokenizer_config, indent=2)
        if family == "qwen3":
            with open(os.path.join(folder, "chat_template.jinja"), "w") as f:
                f.write(CHAT_TEMPLATE)

        real_tokens = len(TOKENS)
        ids = torch.randint(0, real_tokens, (2, 9), generator=generator)
        for p in params.values():
            p.requires_grad_(True)
        logits = forward(config, params, ids)
        logprobs = logits.log_softmax(-1)[:, :-1].gather(-1, ids[:, 1:, None])[..., 0]
        logprobs.sum().backward()

        grad_names = ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                      "model.layers.0.self_attn.k_proj.weight", f"model.layers.{config['num_hidden_layers'] - 1}.mlp.down_proj.weight",
                      "model.norm.weight"]
        grad_names += {"llama": ["lm_head.weight", "model.layers.1.self_attn.o_proj.weight"],
                       "qwen2": ["model.layers.0.self_attn.q_proj.bias", "model.layers.1.self_attn.v_proj.bias"],
                       "qwen3": ["model.layers.0.self_attn.q_norm.weight", "model.layers.2.self_attn.k_norm.weight"]}[family]
        grads = {}
        for name in grad_names:
            g = params[name].grad
            rows = min(g.shape[0], 12)  # the first rows of large matrices are enough to catch a wrong gradient
            grads[name] = {"rows": rows, "shape": list(g.shape), "values": rounded(g[:rows].flatten().tolist())}

        positions = [0, 3, 8]
        with torch.no_grad():
            prompts = [[1, 40, 41, 20], [1, 77, 7, 60, 61, 62, 19], [1]]
            continuations = []
            for prompt in prompts:
                tokens, gap = greedy(config, params, prompt, 10)
                assert gap > 1e-3, f"{family}: greedy decoding of {prompt} has a near tie ({gap}); change the prompt"
                continuations.append({"prompt": prompt, "tokens": tokens, "min_gap": round(gap, 4)})

        reference = {
            "family": family,
            "ids": ids.tolist(),
            "logits": [{"row": b, "position": t, "values": rounded(logits[b, t].tolist())} for b in range(2) for t in positions],
            "logprobs": [rounded(row) for row in logprobs.tolist()],
            "grads": grads,
            "greedy": continuations,
        }
        write_json(os.path.join(folder, "reference.json"), reference)
        print(family, "greedy gaps", [c["min_gap"] for c in continuations])


main()
