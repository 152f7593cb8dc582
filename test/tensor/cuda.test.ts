// Every CUDA op against the CPU backend on the same random inputs: values and
// gradients within fp32 tolerances (the GPU sums in other orders and uses
// its own exp). Run where a GPU and the CUDA addon (npm run native:cuda) are
// present; elsewhere each test is reported as skipped, with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  add, attention, backward, backendFor, cast, cpu, cudaBackend, cudaUnavailableReason, div, drawTokens, dropout, embedding, exp, linear,
  log, matmul, memory, mul, parseDevice, randn, rmsNorm, rope, ropeTables, Rng, scope, silu, sqrt, sub, sum, sumOfSquares, swiglu, tanh,
  tensor, tokenLogProbs, adamwStep, type Backend, type Tensor,
} from "../../src/tensor/index.js";
import { assertClose } from "./reference.js";

const unavailable = cudaUnavailableReason();
const gpu = { skip: unavailable ? `no usable GPU here (${unavailable})` : false };

/** Random f32 inputs, the same on either backend for the same seed. */
function rand(backend: Backend, shape: number[], seed: number, grad = true, offset = 0): Tensor {
  const t = randn(shape, new Rng(seed), 1, offset, { backend });
  t.requiresGrad = grad;
  return t;
}

/**
 * Runs `build` on the CPU and on the GPU and compares what it returns (outputs, then gradients); the GPU
 * must hold no more live memory afterwards than before.
 */
function onBoth(name: string, build: (b: Backend) => Tensor[], rtol = 1e-4, atol = 1e-5): void {
  const gpuBackend = cudaBackend();
  const before = gpuBackend.memoryStats().live;
  scope(() => {
    const expected = build(cpu).map((t) => Float64Array.from(t.toFloat32Array()));
    const actual = build(gpuBackend).map((t) => t.toFloat32Array());
    assert.equal(actual.length, expected.length);
    actual.forEach((values, i) => assertClose(values, expected[i], rtol, atol, `${name}: result ${i}`));
  });
  assert.equal(gpuBackend.memoryStats().live, before, `${name} leaked device memory`);
}

/** out, then the gradient of sum(out * w) with respect to each input. */
function withGrads(out: Tensor, inputs: Tensor[], seed = 99): Tensor[] {
  backward(sum(mul(out, rand(out.backend, [...out.shape], seed, false))));
  return [out, ...inputs.map((t) => t.grad!)];
}

test("--device takes cpu or cuda, naming the flag otherwise", () => {
  assert.equal(parseDevice("cpu"), "cpu");
  assert.equal(backendFor("cpu"), cpu);
  assert.throws(() => parseDevice("gpu"), /^Error: --device: expected cpu or cuda, got 'gpu'$/);
});

test("without a GPU the CUDA backend says why: not built (and how to build it), or no device and driver", { skip: unavailable ? false : "a GPU is present" }, () => {
  const why = /astarpo: the CUDA backend (is not built \(.*\); run `npm run native:cuda`|cannot run here: .+)/;
  assert.throws(() => cudaBackend(), why);
  assert.throws(() => backendFor("cuda"), why);
});

test("CUDA elementwise ops and their gradients match the CPU", gpu, () => {
  onBoth("add/sub/mul/div with broadcast", (b) => {
    const x = rand(b, [3, 5, 7], 1), y = rand(b, [5, 1], 2, true, 3);
    return withGrads(div(mul(add(x, y), sub(x, y)), y), [x, y]);
  });
  onBoth("exp, log, sqrt, silu, tanh", (b) => {
    const x = rand(b, [1000], 3, true, 4);
    return withGrads(add(add(exp(tanh(x)), log(x)), mul(sqrt(x), silu(x))), [x]);
  }, 1e-4, 1e-4);
  onBoth("dropout draws the same mask", (b) => [dropout(rand(b, [4097], 4, false), 0.3, 12345)]);
  onBoth("sums in double", (b) => [tensor([sumOfSquares(rand(b, [100_003], 5, false))])], 1e-9, 0);
});

test("CUDA products (batched, transposed, bias, bf16 weights) and their gradients match the CPU", gpu, () => {
  onBoth("matmul", (b) => {
    const x = rand(b, [2, 33, 17], 6), y = rand(b, [2, 17, 29], 7);
    return withGrads(matmul(x, y), [x, y]);
  }, 1e-4, 1e-4);
  onBoth("linear with bias", (b) => {
    const x = rand(b, [5, 40, 64], 8), w = rand(b, [96, 64], 9), bias = rand(b, [96], 10);
    return withGrads(linear(x, w, bias), [x, w, bias]);
  }, 1e-4, 1e-4);
  onBoth("linear with a frozen bf16 weight", (b) => {
    const x = rand(b, [7, 130], 11), w = cast(rand(b, [45, 130], 12, false), "bf16");
    return withGrads(linear(x, w), [x]);
  }, 1e-4, 1e-4);
});

test("CUDA RMSNorm, RoPE, SwiGLU and embedding (forward and backward) match the CPU", gpu, () => {
  onBoth("rmsNorm", (b) => {
    const x = rand(b, [6, 9, 300], 13), w = rand(b, [300], 14);
    return withGrads(rmsNorm(x, w, 1e-6), [x, w]);
  });
  onBoth("rope", (b) => {
    const x = rand(b, [2, 5, 3, 16], 15);
    const positions = Int32Array.from({ length: 10 }, (_, i) => 7 + 3 * i);
    const invFreq = Float32Array.from({ length: 8 }, (_, i) => 10000 ** (-i / 8));
    return withGrads(rope(x, ropeTables(positions, invFreq, 1, x)), [x]);
  });
  onBoth("swiglu", (b) => {
    const g = rand(b, [4, 513], 16), u = rand(b, [4, 513], 17);
    return withGrads(swiglu(g, u), [g, u]);
  });
  onBoth("embedding, f32 and bf16 tables", (b) => {
    const ids = tensor(Int32Array.from([3, 0, 3, 9, 5, 3]), [2, 3], { dtype: "i32", backend: b });
    const table = rand(b, [10, 24], 18);
    const half = cast(rand(b, [10, 24], 19, false), "bf16");
    return [...withGrads(embedding(ids, table), [table]), embedding(ids, half)];
  });
  assert.throws(() => scope(() => embedding(tensor(Int32Array.from([1, 10]), [2], { dtype: "i32", backend: cudaBackend() }),
    rand(cudaBackend(), [10, 4], 20, false))), /10/);
});

test("CUDA causal attention (GQA, padding, a KV cache) and its backward match the CPU", gpu, () => {
  onBoth("attention, training shape with grouped heads", (b) => {
    const q = rand(b, [2, 37, 8, 64], 21), k = rand(b, [2, 37, 2, 64], 22), v = rand(b, [2, 37, 2, 64], 23);
    return withGrads(attention(q, k, v, { keyStart: Int32Array.from([0, 5]) }), [q, k, v]);
  }, 1e-4, 1e-4);
  onBoth("attention, decoding against a partly filled cache", (b) => {
    const q = rand(b, [3, 1, 4, 32], 24, false), k = rand(b, [3, 50, 4, 32], 25, false), v = rand(b, [3, 50, 4, 32], 26, false);
    return [attention(q, k, v, { kvLength: Int32Array.from([50, 17, 1]) })];
  });
});

test("CUDA log-probs, entropy, sampling and AdamW match the CPU", gpu, () => {
  onBoth("tokenLogProbs with entropy", (b) => {
    const logits = rand(b, [9, 1003], 27);
    const targets = tensor(Int32Array.from([0, 5, -1, 1002, 7, 7, 300, 1, 2]), [9], { dtype: "i32", backend: b });
    const { logprobs, entropy } = tokenLogProbs(logits, targets, { temperature: 0.7, entropy: true });
    backward(add(sum(logprobs), sum(entropy!)));
    return [logprobs, entropy!, logits.grad!];
  }, 1e-4, 1e-5);
  onBoth("drawTokens, greedy and sampled", (b) => {
    const logits = rand(b, [6, 5000], 28, false);
    const greedy = drawTokens(logits, 1, new Float64Array(6).fill(-1));
    const sampled = drawTokens(logits, 1 / 0.8, Float64Array.from([0.1, 0.5, 0.9, 0.01, 0.99, 0.3]));
    return [tensor(Float32Array.from([...greedy.tokens, ...sampled.tokens])), tensor(Float32Array.from([...greedy.logprobs, ...sampled.logprobs]))];
  }, 1e-5, 1e-4);
  onBoth("adamwStep", (b) => {
    const p = rand(b, [1000], 29, false), g = rand(b, [1000], 30, false), m = rand(b, [1000], 31, false);
    const v = exp(rand(b, [1000], 32, false));
    adamwStep(p, g, m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, biasCorrection1: 0.19, biasCorrection2: 0.002, gradScale: 0.5 });
    return [p, m, v];
  }, 1e-5, 1e-6);
});

test("CUDA memory: live and peak count the bytes tensors hold, as on the CPU", gpu, () => {
  const gpuBackend = cudaBackend();
  const before = memory().cuda.live;
  scope(() => {
    rand(gpuBackend, [1000, 1000], 33, false);
    assert.equal(memory().cuda.live, before + 4e6);
    assert.ok(memory().cuda.peak >= before + 4e6);
  });
  assert.equal(memory().cuda.live, before);
});
