# PyTorch's attention at the shapes of bench/attention.ts, as eager models
# run it on a CPU without a fused kernel: matmul -> masked softmax -> matmul.
# Decoding cycles through enough caches to be read from memory, as in the
# benchmark. Reads a JSON list of cases on argv[1] and prints one JSON line:
# {"torch": version, "ms": {case name: milliseconds per call}}.
import json
import sys
import time

import torch


def median_ms(fn, reps=7, min_rep_s=0.02):
    for _ in range(2):
        fn()
    start = time.perf_counter()
    fn()
    once = max(1e-9, time.perf_counter() - start)
    calls = max(1, int(min_rep_s / once + 0.999))
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    times.sort()
    return times[len(times) // 2] * 1e3


def grouped_attention(q, k, v, mask, group):
    # q [B, H, T, D]; k, v [B, Hkv, L, D]; mask [T, L] of additive -inf. The
    # query heads of one kv head are stacked as rows of one product, so no
    # copy of the keys and values is made (Hugging Face's repeat_kv copies).
    B, H, T, D = q.shape
    rows = q.reshape(B, H // group, group * T, D)
    scores = (rows @ k.transpose(-1, -2)) * (D ** -0.5) + mask.repeat(group, 1)
    return (torch.softmax(scores, dim=-1) @ v).reshape(B, H, T, D)


def run_case(case):
    B, T, S, H, Hkv, D = (case[key] for key in ("B", "T", "S", "H", "Hkv", "D"))
    kv_len = case.get("kvLen", S)
    group = H // Hkv
    q = torch.randn(B, H, T, D) * 0.5
    position = kv_len - T + torch.arange(T).unsqueeze(1)
    mask = torch.where(torch.arange(kv_len).unsqueeze(0) <= position, 0.0, float("-inf"))
    if case["mode"] == "forward":
        copies = max(1, -(-case.get("coldBytes", 0) // (8 * B * S * Hkv * D)))
        caches = [(torch.randn(B, Hkv, S, D), torch.randn(B, Hkv, S, D)) for _ in range(copies)]
        step = iter(range(1 << 62))

        def forward():
            k, v = caches[next(step) % copies]
            grouped_attention(q, k[:, :, :kv_len], v[:, :, :kv_len], mask, group)

        with torch.no_grad():
            return median_ms(forward)
    k = torch.randn(B, Hkv, S, D) * 0.5
    v = torch.randn(B, Hkv, S, D) * 0.5
    q.requires_grad_(True)
    k.requires_grad_(True)
    v.requires_grad_(True)
    dout = torch.randn(B, H, T, D)

    def step():
        grouped_attention(q, k, v, mask, group).backward(dout)
        q.grad = k.grad = v.grad = None

    return median_ms(step)


def main():
    torch.set_num_threads(1)
    cases = json.loads(sys.argv[1])
    print(json.dumps({"torch": torch.__version__, "ms": {case["name"]: run_case(case) for case in cases}}))


main()
