#!/usr/bin/env python3
"""Reference values for the tensor core, produced by PyTorch.

    /usr/bin/python3 scripts/core-fixtures.py   # writes test/fixtures/core/ops.json

For every op: inputs, the output, and the gradients of sum(weights * output)
with respect to each input; and a tiny decoder's first three training losses
(forward, mean token NLL, backward, AdamW) from given weights. The tests read
the JSON; they never need PyTorch.
"""
import json, math, os
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
DT = torch.float64  # references in double; the tests compare the project's float32 results
cases = []


def r(*shape, scale=1.0):
    return (torch.rand(*shape, dtype=DT) * 2 - 1) * scale


def case(name, inputs, fn, grad_inputs=None, extra=None):
    tensors = {k: (v.clone().requires_grad_(k in (grad_inputs or inputs.keys())) if v.is_floating_point() else v)
               for k, v in inputs.items()}
    out = fn(**tensors)
    w = r(*out.shape)
    (out * w).sum().backward()
    entry = {"name": name, "inputs": {k: {"shape": list(v.shape), "dtype": "f32" if v.is_floating_point() else "i32",
                                          "data": v.detach().flatten().tolist()} for k, v in tensors.items()},
             "weights": w.flatten().tolist(), "output": {"shape": list(out.shape), "data": out.detach().flatten().tolist()},
             "grads": {k: v.grad.flatten().tolist() for k, v in tensors.items() if v.is_floating_point() and v.grad is not None}}
    if extra:
        entry.update(extra)
    cases.append(entry)


for (M, N, K) in [(7, 5, 9), (1, 11, 6), (16, 3, 13)]:
    for ta in (False, True):
        for tb in (False, True):
            a = r(K, M) if ta else r(M, K)
            b = r(N, K) if tb else r(K, N)
            case(f"matmul {M}x{N}x{K} {int(ta)}{int(tb)}", {"a": a, "b": b},
                 lambda a, b, ta=ta, tb=tb: (a.T if ta else a) @ (b.T if tb else b), extra={"transA": ta, "transB": tb})

for (shape_b, tb) in [((5, 6), False), ((3, 6, 5), True)]:
    case(f"matmul batched {'shared' if len(shape_b) == 2 else 'per-entry'} 0{int(tb)}", {"a": r(3, 4, 5), "b": r(*shape_b)},
         lambda a, b, tb=tb: a @ (b.transpose(-1, -2) if tb else b), extra={"transA": False, "transB": tb})

case("linear", {"x": r(2, 3, 7), "weight": r(5, 7), "bias": r(5)}, lambda x, weight, bias: F.linear(x, weight, bias))
case("embedding", {"ids": torch.tensor([[3, 0, 3], [9, 1, 3]], dtype=torch.int32), "table": r(10, 6)},
     lambda ids, table: table[ids.long()])
case("rmsNorm", {"x": r(3, 4, 13, scale=2), "weight": r(13) + 1},
     lambda x, weight: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * weight, extra={"eps": 1e-6})


def rope_ref(x, positions, theta):
    B, T, H, D = x.shape
    inv = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=DT) / D))
    ang = positions.to(DT).view(B, T, 1) * inv
    cos = torch.cat([ang.cos(), ang.cos()], -1).view(B, T, 1, D)
    sin = torch.cat([ang.sin(), ang.sin()], -1).view(B, T, 1, D)
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


positions = torch.tensor([[0, 1, 2, 3], [5, 6, 7, 8]], dtype=torch.int32)
case("rope", {"x": r(2, 4, 3, 8)}, lambda x: rope_ref(x, positions, 10000.0),
     extra={"positions": positions.flatten().tolist(), "theta": 10000.0})


def attention_ref(q, k, v):
    B, T, H, D = q.shape
    G = H // k.shape[2]
    kk = k.repeat_interleave(G, 2).transpose(1, 2)
    vv = v.repeat_interleave(G, 2).transpose(1, 2)
    s = q.transpose(1, 2) @ kk.transpose(-1, -2) / math.sqrt(D)
    mask = torch.triu(torch.full((T, T), float("-inf"), dtype=DT), 1)
    return (torch.softmax(s + mask, -1) @ vv).transpose(1, 2)


case("attention", {"q": r(2, 5, 4, 8), "k": r(2, 5, 2, 8), "v": r(2, 5, 2, 8)}, attention_ref)
case("swiglu", {"gate": r(4, 9, scale=3), "up": r(4, 9)}, lambda gate, up: F.silu(gate) * up)
targets = torch.tensor([[0, 16, 5], [2, 9, 5]], dtype=torch.int32)
case("tokenLogProbs", {"logits": r(2, 3, 17, scale=3)},
     lambda logits: torch.log_softmax(logits / 0.8, -1).gather(-1, targets.long().unsqueeze(-1)).squeeze(-1),
     extra={"targets": targets.flatten().tolist(), "temperature": 0.8})
case("entropy", {"logits": r(2, 3, 17, scale=3)},
     lambda logits: -(torch.softmax(logits, -1) * torch.log_softmax(logits, -1)).sum(-1),
     extra={"targets": targets.flatten().tolist(), "temperature": 1.0})
mask = torch.tensor([[1, 1, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1]], dtype=DT)
case("maskedSum", {"x": r(3, 7)}, lambda x: (x * mask).sum(-1), extra={"mask": mask.flatten().tolist()})

# AdamW over three steps with given gradients, and global-norm clipping.
adam_p = r(5, 3)
adam_grads = [r(5, 3) for _ in range(3)]
adam_cfg = {"lr": 0.05, "betas": [0.8, 0.95], "eps": 1e-6, "weightDecay": 0.1}
param = torch.nn.Parameter(adam_p.clone())
adam = torch.optim.AdamW([param], lr=adam_cfg["lr"], betas=tuple(adam_cfg["betas"]), eps=adam_cfg["eps"], weight_decay=adam_cfg["weightDecay"])
adam_after = []
for grad in adam_grads:
    param.grad = grad.clone()
    adam.step()
    adam_after.append(param.detach().flatten().tolist())
clip_grads = [r(4, 3, scale=2), r(6)]
clip_params = [torch.nn.Parameter(torch.zeros_like(x)) for x in clip_grads]
for cp, grad in zip(clip_params, clip_grads):
    cp.grad = grad.clone()
clip_norm = torch.nn.utils.clip_grad_norm_(clip_params, 0.5).item()
optim = {"adamw": {"config": adam_cfg, "param": adam_p.flatten().tolist(), "grads": [x.flatten().tolist() for x in adam_grads],
                   "after": adam_after},
         "clip": {"maxNorm": 0.5, "grads": [{"shape": list(x.shape), "data": x.flatten().tolist()} for x in clip_grads],
                  "norm": clip_norm, "clipped": [cp.grad.flatten().tolist() for cp in clip_params]}}

# A tiny decoder trained for three steps from fixed weights (float32, as the project computes).
cfg = {"vocab": 32, "d_model": 16, "layers": 2, "heads": 2, "kv_heads": 1, "ffn": 24, "rope_theta": 10000.0,
       "rms_eps": 1e-6, "tie_embeddings": False, "train": {"batch": 2, "seq": 8}, "generate": {"batch": 1, "prompt": 1, "new_tokens": 1},
       "name": "fixture"}
V, Dm, L, H, KV, FF = cfg["vocab"], cfg["d_model"], cfg["layers"], cfg["heads"], cfg["kv_heads"], cfg["ffn"]
HD = Dm // H
g = torch.Generator().manual_seed(7)
P = {}
def p(name, *shape, std=0.2, ones=False):
    P[name] = torch.ones(*shape) if ones else torch.randn(*shape, generator=g) * std
p("emb.weight", V, Dm); p("head.weight", V, Dm); p("norm.weight", Dm, ones=True)
for i in range(L):
    b = f"blocks.{i}"
    p(f"{b}.n1.weight", Dm, ones=True); p(f"{b}.n2.weight", Dm, ones=True)
    p(f"{b}.wq.weight", H * HD, Dm); p(f"{b}.wk.weight", KV * HD, Dm); p(f"{b}.wv.weight", KV * HD, Dm); p(f"{b}.wo.weight", Dm, H * HD)
    p(f"{b}.w1.weight", FF, Dm); p(f"{b}.w3.weight", FF, Dm); p(f"{b}.w2.weight", Dm, FF)
init = {k: v.flatten().tolist() for k, v in P.items()}
params = {k: torch.nn.Parameter(v.clone()) for k, v in P.items()}
ids = torch.randint(0, V, (2, 8), generator=g)
tgt = torch.randint(0, V, (2, 8), generator=g)
inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, HD, 2).float() / HD))
ang = torch.outer(torch.arange(8).float(), inv)
cos = torch.cat([ang.cos(), ang.cos()], -1); sin = torch.cat([ang.sin(), ang.sin()], -1)
def rms(x, w): return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + cfg["rms_eps"]) * w
def rot(x):
    x1, x2 = x[..., : HD // 2], x[..., HD // 2:]
    return x * cos.view(1, 8, 1, HD) + torch.cat([-x2, x1], -1) * sin.view(1, 8, 1, HD)
def forward():
    x = params["emb.weight"][ids]
    for i in range(L):
        b = f"blocks.{i}"
        h = rms(x, params[f"{b}.n1.weight"])
        q = rot((h @ params[f"{b}.wq.weight"].T).view(2, 8, H, HD)).float()
        k = rot((h @ params[f"{b}.wk.weight"].T).view(2, 8, KV, HD)).float()
        v = (h @ params[f"{b}.wv.weight"].T).view(2, 8, KV, HD)
        o = attention_ref(q.double(), k.double(), v.double()).float().reshape(2, 8, H * HD)
        x = x + o @ params[f"{b}.wo.weight"].T
        h2 = rms(x, params[f"{b}.n2.weight"])
        x = x + (F.silu(h2 @ params[f"{b}.w1.weight"].T) * (h2 @ params[f"{b}.w3.weight"].T)) @ params[f"{b}.w2.weight"].T
    return rms(x, params["norm.weight"]) @ params["head.weight"].T
opt = torch.optim.AdamW(list(params.values()), lr=1e-2, weight_decay=0.01)
losses = []
for _ in range(3):
    opt.zero_grad()
    loss = -torch.log_softmax(forward(), -1).gather(-1, tgt.unsqueeze(-1)).mean()
    loss.backward(); opt.step(); losses.append(loss.item())

out = {"torch": torch.__version__, "cases": cases, "optim": optim,
       "train": {"config": cfg, "weights": init, "ids": ids.flatten().tolist(), "targets": tgt.flatten().tolist(),
                 "lr": 1e-2, "weight_decay": 0.01, "losses": losses}}
path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "core", "ops.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {len(cases)} op cases and {len(losses)} losses to {os.path.relpath(path)}")
