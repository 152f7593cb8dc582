// Reward checking speed on one core: checks per second of the verifier
// (extraction, parsing, equivalence) on a typical mix of MATH-style answers,
// against a naive string-normalisation checker timed in the same run (the
// peer), and against the 5,000 checks/s a training step needs. Also the
// paper's strict MATH mode, the conformance suite (hard cases), and the
// slowest checks of the mix.
//   npm run bench -- rewards [--json] [--quick]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AUTO_EXTRACT, verifyResponse, type ResponseOptions } from "../src/rewards/index.js";
import { Report } from "./report.js";
import { answerMix, type Pair } from "./lib/answer-mix.js";
import { naiveCheck } from "./lib/naive-checker.js";
import { timeCalls } from "./lib/timing.js";

const TARGET_CHECKS_PER_SECOND = 5000;

function checksPerSecond(pairs: readonly Pair[], check: (p: Pair) => unknown, reps: number): number {
  const t = timeCalls(() => {
    for (const p of pairs) check(p);
  }, reps, 0.2, 3);
  return pairs.length / t.median;
}

function slowestMicros(pairs: readonly Pair[], options: ResponseOptions): { p99: number; max: number } {
  const times = pairs.map((p) => {
    const t0 = process.hrtime.bigint();
    verifyResponse(p.gold, p.response, options);
    return Number(process.hrtime.bigint() - t0) / 1e3;
  });
  times.sort((a, b) => a - b);
  return { p99: times[Math.floor(times.length * 0.99)], max: times[times.length - 1] };
}

export async function run(argv: string[]): Promise<void> {
  const report = new Report("rewards", argv.includes("--json"));
  const quick = argv.includes("--quick");
  const reps = quick ? 3 : 7;
  const mix = answerMix(quick ? 250 : 1000, 4);
  const mixConfig = `${mix.length} checks: ${mix.length / 4} golds x 4 samples, ~1 KB responses, one core`;

  const equivalent: ResponseOptions = {};
  const naive = checksPerSecond(mix, (p) => naiveCheck(p.gold, p.response), reps);
  const full = checksPerSecond(mix, (p) => verifyResponse(p.gold, p.response, equivalent), reps);
  const strict = checksPerSecond(mix, (p) => verifyResponse(p.gold, p.response, { strictness: "hendrycks" }), reps);
  report.add("verifier vs naive string checker", full, "checks/s", naive, mixConfig);
  report.add("verifier vs 5,000/s target", full, "checks/s", TARGET_CHECKS_PER_SECOND, mixConfig);
  report.add("hendrycks mode vs naive string checker", strict, "checks/s", naive, mixConfig);

  const fixture = fileURLToPath(new URL("../test/fixtures/rewards/conformance.jsonl", import.meta.url));
  const cases: Pair[] = readFileSync(fixture, "utf8").trim().split("\n").map((line) => {
    const row = JSON.parse(line);
    return { gold: row.gold, response: row.pred };
  });
  const suite = checksPerSecond(cases, (p) => verifyResponse(p.gold, p.response, { extract: AUTO_EXTRACT }), reps);
  report.add("conformance suite (hard cases) vs target", suite, "checks/s", TARGET_CHECKS_PER_SECOND, `${cases.length} cases`);

  const slow = slowestMicros(mix, equivalent);
  report.add("p99 check latency", slow.p99, "us", null, mixConfig);
  report.add("slowest check", slow.max, "us", null, mixConfig);
  report.finish();
}
