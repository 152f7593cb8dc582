// Reward checking speed on one core: checks per second of the verifier
// (extraction, parsing, equivalence) on a typical mix of MATH-style answers,
// against a naive string-normalisation checker timed in the same run (the
// peer), and against the 5,000 checks/s a training step needs. Also the
// paper's strict MATH mode, the conformance suite (hard cases) by group, the
// reward-hacking suite (attacks on the checker) and a megabyte-long
// response, and the slowest checks.
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

/** Latencies of single checks, each the fastest of three (after a warm-up pass), so that JIT warm-up is not counted. */
function slowestMicros(pairs: readonly Pair[], options: ResponseOptions): { p99: number; max: number } {
  for (const p of pairs) verifyResponse(p.gold, p.response, { ...options, prompt: p.prompt });
  const times = pairs.map((p) => {
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const t0 = process.hrtime.bigint();
      verifyResponse(p.gold, p.response, { ...options, prompt: p.prompt });
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3);
    }
    return best;
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

  const auto: ResponseOptions = { extract: AUTO_EXTRACT };
  const conformance = fixtureRows("conformance.jsonl");
  for (const group of ["hand-written", "external"]) {
    const cases = conformance.filter((row) => row.group === group);
    const rate = checksPerSecond(cases, (p) => verifyResponse(p.gold, p.response, auto), reps);
    report.add(`conformance suite, ${group} vs target`, rate, "checks/s", TARGET_CHECKS_PER_SECOND, `${cases.length} cases`);
  }

  const attacks = fixtureRows("hacking.jsonl");
  const check = (p: Pair) => verifyResponse(p.gold, p.response, { ...auto, prompt: p.prompt });
  report.add("reward-hacking suite vs target", checksPerSecond(attacks, check, reps), "checks/s", TARGET_CHECKS_PER_SECOND, `${attacks.length} attacks`);
  report.add("slowest reward-hacking check", slowestMicros(attacks, auto).max, "us", null, `${attacks.length} attacks`);
  const megabyte: Pair = { gold: "6", response: "so ".repeat((1 << 20) / 3) + "\\boxed{5}" };
  report.add("1 MB response check", timeCalls(() => check(megabyte), reps, 0.05, 1).median * 1e6, "us", null, "filler, then a box");

  const slow = slowestMicros(mix, equivalent);
  report.add("p99 check latency", slow.p99, "us", null, mixConfig);
  report.add("slowest check", slow.max, "us", null, mixConfig);
  report.finish();
}

function fixtureRows(name: string): Array<Pair & { group?: string }> {
  const file = fileURLToPath(new URL(`../test/fixtures/rewards/${name}`, import.meta.url));
  return readFileSync(file, "utf8").trim().split("\n").map((line) => {
    const row = JSON.parse(line);
    return { gold: row.gold, response: row.pred, prompt: row.prompt, group: row.group };
  });
}
