// The compute core's floor: machine peak, matrix-product throughput (as a
// fraction of that peak, and against OpenBLAS through numpy when present) at
// the square n = 1024 and the training and decoding shapes of ref-tiny and
// the 0.5B shape, the cost of one JS -> native call, and the ref-tiny
// training step against PyTorch on the same machine.
//   npm run bench -- core [--json] [--isa avx512|avx2|portable] [--quick] [--cpu-time]
// --cpu-time (with ASTARPO_THREADS=1) times the peak and the products by the
// process's CPU time: on a machine that other processes share, their
// fractions of the peak then measure the kernels, not the scheduler.
import { spawnSync } from "node:child_process";
import { native } from "../src/tensor/native.js";
import { Report } from "./report.js";
import { decodeShapes, describe, refTinyShapes, timeGemm, trainShapes05b, type GemmShape } from "./lib/gemm.js";
import { cpuClock, fmaPeak, timeCalls, wallClock, type Clock } from "./lib/timing.js";
import { benchTensorOpOverhead, benchTrainStep } from "./lib/train-step.js";

interface Options {
  json: boolean;
  quick: boolean;
  isa: string | null;
  cpuTime: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { json: false, quick: false, isa: null, cpuTime: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") options.json = true;
    else if (arg === "--quick") options.quick = true;
    else if (arg === "--cpu-time") options.cpuTime = true;
    else if (arg === "--isa") {
      const isa = argv[++i];
      if (!["avx512", "avx2", "portable"].includes(isa)) throw new Error(`core: --isa takes avx512, avx2 or portable, got ${isa}`);
      options.isa = isa;
    } else throw new Error(`core: unknown option ${arg} (expected --json, --quick, --isa NAME, --cpu-time)`);
  }
  return options;
}

/**
 * FMA-loop peak of every pool thread per second of `clock`: of wall time the
 * best of three bursts (other processes only lower it), of CPU time the
 * median (a burst that straddles a descheduling can overstate it).
 */
function benchPeak(report: Report, clock: Clock): number {
  const bursts = [0, 1, 2].map(() => fmaPeak());
  const peak = clock === wallClock ? Math.max(...bursts.map((b) => b.perWallSecond)) : bursts.map((b) => b.perCpuSecond).sort((a, b) => a - b)[1];
  const timing = clock === wallClock ? "" : ", per CPU second";
  report.add("peak_gflops", peak, "GFLOP/s", null, `${native.isaName()}, ${native.threads()} threads${timing}`);
  return peak;
}

/** GFLOP/s of numpy's matmul at n x n when numpy runs on OpenBLAS, else null. */
function numpyGflops(n: number, threads: number): number | null {
  const script = [
    "import numpy as np, time",
    `n = ${n}`,
    "a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)",
    "for _ in range(3): a @ b",
    "ts = []",
    "for _ in range(9):",
    "    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)",
    "ts.sort()",
    "maps = open('/proc/self/maps').read().lower()",
    "print(2 * n**3 / ts[len(ts) // 2] / 1e9 if 'openblas' in maps else 'not-openblas')",
  ].join("\n");
  // Only an OpenBLAS-backed numpy is a fair peer (Debian's default BLAS is the reference one).
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  for (const python of ["/usr/bin/python3", "python3"]) {
    const run = spawnSync(python, ["-c", script], { env, encoding: "utf8", timeout: 60_000 });
    const value = Number.parseFloat(run.stdout ?? "");
    if (run.status === 0 && Number.isFinite(value)) return value;
  }
  return null;
}

function benchSquare(report: Report, peak: number, clock: Clock): void {
  const n = 1024;
  const square: GemmShape = { M: n, N: n, K: n, transA: 0, transB: 0, role: "" };
  const t = timeGemm(square, 9, 0, clock);
  report.add("gemm_gflops", t.gflops, "GFLOP/s", peak, `n=${n}`);
  for (const [transA, transB] of [[0, 1], [1, 0], [1, 1]] as const) {
    const tt = timeGemm({ ...square, transA, transB }, 5, 0, clock);
    report.add("gemm_gflops", tt.gflops, "GFLOP/s", peak, `n=${n} ${transA ? "A^T" : "A"}${transB ? "B^T" : "B"}`);
  }
  if (native.isaName() === "avx512") {
    const openblas = numpyGflops(n, native.threads() as number);
    if (openblas !== null) report.add("gemm_gflops", t.gflops, "GFLOP/s", openblas, `n=${n} vs numpy (OpenBLAS)`);
  }
}

/** More than any last-level cache: decoding reads each layer's weights from memory. */
const coldWeightBytes = 256 << 20;

function benchModelShapes(report: Report, peak: number, quick: boolean, clock: Clock): void {
  const shapes = quick ? refTinyShapes.slice(0, 3) : refTinyShapes;
  for (const s of shapes) report.add("gemm_gflops", timeGemm(s, 7, 0, clock).gflops, "GFLOP/s", peak, describe(s));
  // The training step reads each weight from memory, as the decode shapes do; the vocabulary's
  // products take most of a second each, so they run fewer times (and not with --quick).
  for (const s of quick ? trainShapes05b.filter((t) => t.role.includes("mlp")) : trainShapes05b) {
    const big = s.M * s.N * s.K > 1e10;
    report.add("gemm_gflops", timeGemm(s, big ? 3 : 5, big ? 0 : coldWeightBytes, clock).gflops, "GFLOP/s", peak, describe(s));
  }
  for (const s of quick ? decodeShapes.slice(1, 2) : decodeShapes) {
    const t = timeGemm(s, 7, coldWeightBytes, clock);
    report.add("gemm_gflops", t.gflops, "GFLOP/s", peak, describe(s));
    report.add("gemm_gbps", t.gbps, "GB/s", null, describe(s));
  }
}

/** One JS -> native call: the empty call, and a 4x4x4 product. */
function benchOpOverhead(report: Report): void {
  const noop = timeCalls(() => native.noop(), 9, 0.01);
  report.add("op_overhead_us", noop.median * 1e6, "us", null, "native.noop()");
  const p = native.alloc(3 * 64) as number;
  try {
    const t = timeCalls(() => native.gemm(4, 4, 4, p, 4, 0, p + 64, 4, 0, p + 128, 4, 1, 0, 0, 1, 0, 0, 0, 0), 9, 0.01);
    report.add("op_overhead_us", t.median * 1e6, "us", null, "native.gemm 4x4x4");
  } finally {
    native.free(p);
  }
}

export async function run(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const best = native.isaName() as string;
  if (options.isa) native.setIsa(options.isa);
  try {
    const report = new Report("core", options.json);
    if (options.cpuTime && native.threads() !== 1) throw new Error("core: --cpu-time counts the work of one thread only; run it with ASTARPO_THREADS=1");
    const clock = options.cpuTime ? cpuClock : wallClock;
    const peak = benchPeak(report, clock);
    benchSquare(report, peak, clock);
    benchModelShapes(report, peak, options.quick, clock);
    benchOpOverhead(report);
    benchTensorOpOverhead(report);
    // One thread of ours against the peer's two would say nothing.
    if (!options.cpuTime) benchTrainStep(report, "ref-tiny", options.quick ? 3 : 9);
    report.finish();
  } finally {
    native.setIsa(best);
  }
}
