// The one description of every native kernel: its name, its arguments (kind,
// name, element type) and the enums they take. Everything else is made from it:
//   - the Backend interface's kernel methods (their TypeScript types, below);
//   - native/kernels.gen.h, one argument struct and one declaration per
//     kernel, which every backend's pure C++/CUDA code implements;
//   - native/binding.gen.cc, the N-API layer: arity, type and range checks
//     that name the kernel and the argument, then the call;
//   - the signature list an addon reports when it loads, compared with this
//     table so that an addon built from another table is refused.
// `npm run gen:kernels` rewrites the two generated files; a test fails when
// they are out of date. The table is TypeScript so that the types derive from
// it; the C++ side is generated rather than hand-checked so that nothing can
// drift.

/** Kernel codes of binary(). */
export enum BinaryOp {
  /** a + b */ Add = 0,
  /** a - b */ Sub = 1,
  /** a * b */ Mul = 2,
  /** a / b */ Div = 3,
}
/** Kernel codes of unary() and unaryBackward(). */
export enum UnaryOp {
  /** -x */ Neg = 0,
  /** e^x */ Exp = 1,
  /** Natural logarithm. */ Log = 2,
  /** x * x */ Square = 3,
  /** Square root. */ Sqrt = 4,
  /** x * sigmoid(x) */ Silu = 5,
  /** max(x, 0) */ Relu = 6,
  /** Hyperbolic tangent. */ Tanh = 7,
  /** Absolute value. */ Abs = 8,
}
/** How a weight operand is stored (gemm's B, embedding's table). */
export enum ElementType {
  /** 32-bit float. */ F32 = 0,
  /** bfloat16, widened to float32 as it is read. */ Bf16 = 1,
}

/** Element type behind a device address; "byte" for untyped rows, "any" where the kernel reads an ElementType. */
export type Elem = "f32" | "i32" | "bf16" | "byte" | "any";
export type Access = "in" | "out" | "inout";
type EnumObject = Record<string, string | number>;

export interface PtrArg { readonly kind: "ptr"; readonly name: string; readonly elem: Elem; readonly access: Access; readonly optional: boolean }
export interface IntArg { readonly kind: "int"; readonly name: string; readonly min: number }
export interface FloatArg { readonly kind: "f32" | "f64"; readonly name: string }
export interface FlagArg { readonly kind: "flag"; readonly name: string }
export interface EnumArg { readonly kind: "enum"; readonly name: string; readonly type: string; readonly values: EnumObject }
/**
 * A host typed array (positions, per-row offsets, results read back); `atLeast`: the integer
 * argument whose value is the fewest entries it may hold (the binding checks it).
 */
export interface ArrayArg {
  readonly kind: "array"; readonly name: string; readonly elem: "i32" | "f32" | "f64"; readonly access: "in" | "out"; readonly optional: boolean;
  readonly atLeast?: string;
}
/** Any host ArrayBufferView, by its bytes (copies between host and device). */
export interface BytesArg { readonly kind: "bytes"; readonly name: string; readonly access: "in" | "out" }
export interface StringArg { readonly kind: "string"; readonly name: string }
export type KernelArg = PtrArg | IntArg | FloatArg | FlagArg | EnumArg | ArrayArg | BytesArg | StringArg;

/** What a kernel returns: nothing, a double, an integer (-1 often meaning "none"), an address, a flag or a string. */
export type Returns = "void" | "f64" | "int" | "ptr" | "flag" | "string";
/** "cpu" / "cuda": a kernel only that backend's addon has (instruction sets, threads, device facts). */
export type Only = "cpu" | "cuda";

export interface KernelSpec {
  readonly args: readonly KernelArg[];
  readonly returns: Returns;
  readonly only?: Only;
}

const ptr = <N extends string>(name: N, elem: Elem, access: Access, optional = false) =>
  ({ kind: "ptr", name, elem, access, optional }) as const;
const src = <N extends string>(name: N, elem: Elem = "f32") => ptr(name, elem, "in");
const dst = <N extends string>(name: N, elem: Elem = "f32") => ptr(name, elem, "out");
const int = <N extends string>(name: N, min = 0) => ({ kind: "int", name, min }) as const;
const f32 = <N extends string>(name: N) => ({ kind: "f32", name }) as const;
const f64 = <N extends string>(name: N) => ({ kind: "f64", name }) as const;
const flag = <N extends string>(name: N) => ({ kind: "flag", name }) as const;
const enumArg = <N extends string, E extends EnumObject>(name: N, type: string, values: E) => ({ kind: "enum", name, type, values }) as const;
const array = <N extends string, T extends "i32" | "f32" | "f64", O extends boolean = false>(name: N, elem: T, access: "in" | "out" = "in", optional?: O) =>
  ({ kind: "array", name, elem, access, optional: (optional ?? false) as O }) as const;
/** A host array of at least as many entries as the integer argument `count` says. */
const arrayOf = <N extends string, T extends "i32" | "f32" | "f64">(name: N, elem: T, count: string, access: "in" | "out" = "in") =>
  ({ ...array(name, elem, access), atLeast: count }) as const;
const kernel = <const A extends readonly KernelArg[], R extends Returns = "void">(args: A, returns?: R) =>
  ({ args, returns: (returns ?? "void") as R }) as const;
const only = <K extends KernelSpec, O extends Only>(backend: O, spec: K) => ({ ...spec, only: backend }) as const;

/** Query geometry shared by attention's forward and backward. */
const attentionGeometry = [
  int("B", 1), int("T", 1), int("S", 1), int("H", 1), int("Hkv", 1), int("D", 1), f32("scale"),
  array("qPos", "i32", "in", true), array("keyStart", "i32", "in", true), array("kvLen", "i32", "in", true),
] as const;

export const kernelTable = {
  // memory
  /** bytes -> address; throws when the device is out of memory */
  alloc: kernel([int("bytes")], "ptr"),
  free: kernel([ptr("addr", "byte", "inout")]),
  /** fills [live bytes, peak bytes, live blocks, cached bytes] */
  memoryStats: kernel([array("out", "f64", "out")]),
  resetPeak: kernel([]),
  releaseCache: kernel([]),
  /** host -> device at a byte offset */
  copyIn: kernel([ptr("addr", "byte", "out"), int("byteOffset"), { kind: "bytes", name: "data", access: "in" } as const]),
  /** device -> host at a byte offset */
  copyOut: kernel([src("addr", "byte"), int("byteOffset"), { kind: "bytes", name: "out", access: "out" } as const]),
  copy: kernel([dst("dst", "byte"), src("src", "byte"), int("bytes")]),
  zero: kernel([dst("addr", "byte"), int("bytes")]),
  fill: kernel([dst("y"), int("n"), f32("value")]),

  // products and conversions
  /**
   * C = alpha op(A) op(B) + beta C (+ bias), fp32 row-major (native/gemm.h); batch products at element
   * strides; bType Bf16: B holds bfloat16 (batch 1), widened as it is read.
   */
  gemm: kernel([
    int("M"), int("N"), int("K"), src("a"), int("lda", 1), flag("transA"), src("b", "any"), int("ldb", 1), flag("transB"),
    ptr("c", "f32", "inout"), int("ldc", 1), f32("alpha"), f32("beta"), ptr("bias", "f32", "in", true),
    int("batch", 1), int("strideA"), int("strideB"), int("strideC"), enumArg("bType", "ElementType", ElementType),
  ]),
  /** fp32 -> bfloat16, rounded to nearest even (PyTorch's bits) */
  toBf16: kernel([src("src"), dst("dst", "bf16"), int("n")]),
  /** bfloat16 -> fp32 (exact) */
  fromBf16: kernel([src("src", "bf16"), dst("dst"), int("n")]),

  // elementwise and reductions
  /** out[i] = a[i] op b[(i / inner) % bn] */
  binary: kernel([enumArg("op", "BinaryOp", BinaryOp), src("a"), src("b"), dst("out"), int("n"), int("bn", 1), int("inner", 1)]),
  unary: kernel([enumArg("op", "UnaryOp", UnaryOp), src("x"), dst("out"), int("n")]),
  /** dx = g * f'(x) */
  unaryBackward: kernel([enumArg("op", "UnaryOp", UnaryOp), src("x"), src("g"), dst("dx"), int("n")]),
  /**
   * out[i] = x[i] / (1 - p), or 0 with probability p: a counter-based draw from (seed, i), the same mask for
   * the same seed on any device or thread count; applied to the output's gradient it is the backward pass.
   */
  dropout: kernel([src("x"), dst("out"), int("n"), f64("p"), int("seed")]),
  /** y = alpha x + beta y (x may be y) */
  axpby: kernel([ptr("y", "f32", "inout"), src("x"), int("n"), f32("alpha"), f32("beta")]),
  /** sum (or sum of squares) in double precision */
  sum: kernel([src("x"), int("n"), flag("squares")], "f64"),
  /** out[j] (+)= sum of g[i] over the i with (i / inner) % bn == j: the gradient of a broadcast operand */
  reduceBroadcast: kernel([src("g"), ptr("out", "f32", "inout"), int("n"), int("bn", 1), int("inner", 1), flag("accumulate")]),
  sumLastDim: kernel([src("x"), dst("out"), int("rows"), int("cols")]),
  allFinite: kernel([src("x"), int("n")], "flag"),

  // the decoder's fused kernels
  rmsNorm: kernel([src("x"), src("w"), dst("out"), ptr("rstd", "f32", "out", true), int("rows"), int("cols", 1), f32("eps")]),
  /** dw is accumulated (+=) */
  rmsNormBackward: kernel([src("x"), src("w"), src("rstd"), src("g"), dst("dx"), ptr("dw", "f32", "inout", true), int("rows"), int("cols", 1)]),
  /** cos/sin [n, half] = cos/sin(position * invFreq) * scaling, computed in double */
  ropeTables: kernel([arrayOf("positions", "i32", "n"), arrayOf("invFreq", "f32", "half"), f64("scaling"), dst("cos"), dst("sin"), int("n"), int("half")]),
  /** x [rows, heads, dim], rotate-half convention; inverse rotates back (the backward pass) */
  rope: kernel([src("x"), dst("out"), src("cos"), src("sin"), int("rows"), int("heads"), int("dim"), flag("inverse")]),
  swiglu: kernel([src("gate"), src("up"), dst("out"), int("n")]),
  swigluBackward: kernel([src("gate"), src("up"), src("dout"), dst("dgate"), dst("dup"), int("n")]),
  /** rows of the table -> fp32 out; -1, or the position of the first id out of range */
  embedding: kernel([src("ids", "i32"), src("table", "any"), dst("out"), int("n"), int("dim"), int("vocab"), enumArg("tableType", "ElementType", ElementType)], "int"),
  /** dtable[ids[i]] += g[i] */
  embeddingBackward: kernel([src("ids", "i32"), src("g"), ptr("dtable", "f32", "inout"), int("n"), int("dim")]),
  /** dst[k] = src[indices[k]] */
  gatherRows: kernel([src("src", "byte"), arrayOf("indices", "i32", "count"), dst("dst", "byte"), int("count"), int("rowBytes")]),
  /** dst[b, offsets[b] + t] = src[b, t]: appends keys and values to a cache */
  writeRows: kernel([ptr("dst", "byte", "inout"), src("src", "byte"), int("batch"), int("srcRows"), int("dstRows"), int("rowBytes"), arrayOf("offsets", "i32", "batch")]),
  /** per-row log-probs of the targets (a negative target is padding: 0), log-sum-exp and entropy */
  tokenLogProbs: kernel([
    src("logits"), src("targets", "i32"), dst("logp"), dst("lse"), ptr("entropy", "f32", "out", true), int("rows"), int("vocab", 1), f32("invTemperature"),
  ]),
  tokenLogProbsBackward: kernel([
    src("logits"), src("targets", "i32"), src("lse"), ptr("entropy", "f32", "in", true), ptr("glogp", "f32", "in", true),
    ptr("gentropy", "f32", "in", true), dst("dlogits"), int("rows"), int("vocab", 1), f32("invTemperature"),
  ]),
  /**
   * Draws one token per row from softmax(logits * invTemperature) with the given uniforms in [0, 1) (a negative
   * one takes the row's first most likely token), filling tokens and their log-probs; returns -1, or the first
   * row whose softmax has no finite mass.
   */
  sampleRows: kernel([
    src("logits"), int("rows"), int("vocab", 1), f32("invTemperature"), arrayOf("uniforms", "f64", "rows"), arrayOf("tokens", "i32", "rows", "out"), arrayOf("logprobs", "f32", "rows", "out"),
  ], "int"),
  /** decoupled weight decay as in torch.optim.AdamW: p *= 1 - lr*wd, then the Adam step */
  adamw: kernel([
    ptr("param", "f32", "inout"), src("grad"), ptr("m", "f32", "inout"), ptr("v", "f32", "inout"), int("n"), f32("lr"), f32("beta1"),
    f32("beta2"), f32("eps"), f32("weightDecay"), f32("biasCorrection1"), f32("biasCorrection2"), f32("gradScale"),
  ]),
  /** q [B, T, H, D], k/v [B, S, Hkv, D] -> out [B, T, H, D] and lse [B, H, T] */
  attentionForward: kernel([src("q"), src("k"), src("v"), dst("out"), ptr("lse", "f32", "out", true), ...attentionGeometry]),
  /** overwrites dq, dk and dv; key positions no query sees get 0 */
  attentionBackward: kernel([src("q"), src("k"), src("v"), src("out"), src("lse"), src("dout"), dst("dq"), dst("dk"), dst("dv"), ...attentionGeometry]),

  // the CPU addon's own
  /** the instruction set the kernels use now: avx512, avx2 or portable */
  isaName: only("cpu", kernel([], "string")),
  /** use a slower path (for tests); asking for more than the CPU has is an error */
  setIsa: only("cpu", kernel([{ kind: "string", name: "isa" } as const])),
  threads: only("cpu", kernel([], "int")),
  /** GFLOP/s of FMA-only loops on every pool thread for about `ms` milliseconds */
  peakFlops: only("cpu", kernel([f64("ms")], "f64")),
  /** the floor of a JS -> native call, for the overhead benchmark */
  noop: only("cpu", kernel([])),

  // the CUDA addon's own
  /** waits for the device's queued work */
  synchronize: only("cuda", kernel([])),
  /** the device's name, compute capability and memory, as JSON */
  deviceInfo: only("cuda", kernel([], "string")),
} as const satisfies Record<string, KernelSpec>;

export type KernelTable = typeof kernelTable;
export type KernelName = keyof KernelTable;

type ArgValue<A> =
  A extends { kind: "ptr" | "int" | "f32" | "f64" } ? number
  : A extends { kind: "flag" } ? 0 | 1
  : A extends { kind: "enum"; values: infer E } ? Extract<E[keyof E], number>
  : A extends { kind: "array"; elem: infer T; optional: infer O } ? (T extends "i32" ? Int32Array : T extends "f32" ? Float32Array : Float64Array) | (O extends true ? 0 : never)
  : A extends { kind: "bytes" } ? ArrayBufferView
  : A extends { kind: "string" } ? string
  : never;
type ArgValues<A extends readonly unknown[]> = { -readonly [I in keyof A]: ArgValue<A[I]> };
type ReturnValue<R> = R extends "void" ? void : R extends "flag" ? 0 | 1 : R extends "string" ? string : number;

/** The function a kernel is, typed from its row of the table. */
export type KernelFn<K extends KernelName> = (...args: ArgValues<KernelTable[K]["args"]>) => ReturnValue<KernelTable[K]["returns"]>;

/** The kernels of one backend's addon: the shared ones and its own. */
export type Kernels<B extends Only> = {
  [K in KernelName as KernelTable[K] extends { only: infer O } ? (O extends B ? K : never) : K]: KernelFn<K>;
};

/** The kernels every backend implements. */
export type SharedKernels = {
  [K in KernelName as KernelTable[K] extends { only: Only } ? never : K]: KernelFn<K>;
};

/** The names of one backend's kernels, in table order. */
export function kernelNamesOf(backend: Only): KernelName[] {
  return (Object.keys(kernelTable) as KernelName[]).filter((name) => {
    const spec: KernelSpec = kernelTable[name];
    return spec.only === undefined || spec.only === backend;
  });
}

/** The kernels every backend implements, in table order. */
export function sharedKernelNames(): Array<keyof SharedKernels> {
  return (Object.keys(kernelTable) as KernelName[]).filter((name): name is keyof SharedKernels => !("only" in kernelTable[name]));
}

/** The numeric members of a TypeScript enum object, in value order. */
export function enumMembers(values: EnumObject): Array<[string, number]> {
  return Object.entries(values).filter((e): e is [string, number] => typeof e[1] === "number").sort((a, b) => a[1] - b[1]);
}

function describeArg(arg: KernelArg): string {
  switch (arg.kind) {
    case "ptr": return `${arg.access} ${arg.elem}*${arg.optional ? "?" : ""} ${arg.name}`;
    case "int": return `int>=${arg.min} ${arg.name}`;
    case "enum": return `${arg.type}{${enumMembers(arg.values).map(([k, v]) => `${k}=${v}`).join(",")}} ${arg.name}`;
    case "array": return `${arg.access} ${arg.elem}[]${arg.optional ? "?" : ""} ${arg.name}`;
    case "bytes": return `${arg.access} bytes ${arg.name}`;
    default: return `${arg.kind} ${arg.name}`;
  }
}

/**
 * One line per kernel of a backend, `name(arg, ...) -> returns`: what an addon
 * built from this table reports through kernelSignatures(), compared at load.
 */
export function kernelSignatures(backend: Only): string {
  return kernelNamesOf(backend).map((name) => {
    const spec: KernelSpec = kernelTable[name];
    return `${name}(${spec.args.map(describeArg).join(", ")}) -> ${spec.returns}`;
  }).join("\n");
}
