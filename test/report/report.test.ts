import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimLine, comparisonCharts, readComparison, writeReport, type Chart } from "../../src/report/index.js";
import { checkClaim } from "../../src/train/claim.js";
import { reportHtml } from "../../src/report/page.js";
import type { ComparisonSummary } from "../../src/train/compare.js";
import type { MetricsRecord } from "../../src/train/metrics.js";
import { writeSampleStore } from "../train/stored-rollouts.js";

const FIXTURE = join("test", "fixtures", "report");

function withFixtureCopy(body: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-report-"));
  cpSync(FIXTURE, dir, { recursive: true });
  return Promise.resolve(body(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** The charts the page carries in its data block. */
function chartsOf(html: string): Chart[] {
  const block = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  assert.ok(block !== null, "the page has its data block");
  return (JSON.parse(block[1]) as { charts: Chart[] }).charts;
}

test("report.html is one self-contained file: the chart library inline, no address outside the page", () => withFixtureCopy(async (dir) => {
  const html = readFileSync(await writeReport(dir), "utf8");
  assert.match(html, /^<!doctype html>/);
  assert.ok(html.includes("uPlot"), "the chart library is inlined");
  assert.doesNotMatch(html, /\b(?:src|href|action|poster)\s*=\s*["']?\s*(?:https?:)?\/\//i, "no src or href leaves the page");
  assert.doesNotMatch(html, /url\(\s*["']?\s*(?:https?:)?\/\//i, "no style loads from outside");
  assert.doesNotMatch(html, /<link\b|@import\b|<iframe\b/i);
  // Only the three inline scripts, none loaded: the library, the data, the drawing.
  assert.equal(html.match(/<script\b/g)?.length, 3);
  assert.equal(html.match(/<\/script>/g)?.length, 3);
}));

test("every algorithm of the summary has a row in the table and a series with points in every chart", () => withFixtureCopy(async (dir) => {
  const html = readFileSync(await writeReport(dir), "utf8");
  const summary = readComparison(dir).summary;
  const names = summary.algorithms.map((a) => a.name);
  assert.deepEqual(names, ["astar", "grpo", "ppo", "rebel"]);
  for (const label of ["A*-PO", "GRPO", "PPO", "REBEL"]) assert.match(html, new RegExp(`<th scope="row">.*${label.replace("*", "\\*")}</th>`));
  const charts = chartsOf(html);
  assert.deepEqual(charts.map((c) => c.id), ["accuracy-time", "accuracy-step", "reward", "kl", "length"]);
  for (const chart of charts) {
    assert.deepEqual(chart.series.map((s) => s.name), names, `${chart.id}: a series per algorithm`);
    assert.equal(chart.data.length, names.length + 1, `${chart.id}: x and one y column per series`);
    for (const [i, column] of chart.data.entries()) assert.equal(column.length, chart.data[0].length, `${chart.id}: column ${i} as long as x`);
    chart.series.forEach((s, i) => assert.ok(chart.data[i + 1].some((y) => typeof y === "number" && Number.isFinite(y)), `${chart.id}: ${s.name} has no points`));
    assert.equal(new Set(chart.series.map((s) => s.color)).size, names.length, `${chart.id}: a colour per algorithm`);
  }
  // One colour per algorithm across every chart.
  for (const chart of charts) assert.deepEqual(chart.series.map((s) => s.color), charts[0].series.map((s) => s.color));
}));

test("accuracy is drawn against training time: cost_s of each evaluation, A*-PO starting after its stage 1", () => withFixtureCopy((dir) => {
  const { summary, metrics } = readComparison(dir);
  const [headline] = comparisonCharts(summary, metrics);
  const astar = metrics.get("astar")!;
  const evals = astar.filter((r) => typeof r.eval_accuracy === "number");
  const column = headline.series.findIndex((s) => s.name === "astar") + 1;
  const drawn = headline.data[0].flatMap((x, i) => (headline.data[column][i] === null ? [] : [[x, headline.data[column][i]]]));
  assert.deepEqual(drawn, evals.map((r) => [r.cost_s, 100 * (r.eval_accuracy as number)]));
  assert.equal(drawn[0][0], summary.algorithms.find((a) => a.name === "astar")!.stage1_s, "the first evaluation sits at stage 1's cost");
  assert.ok((drawn.at(-1)![0] as number) <= summary.algorithms[0].wall_s + 1e-9, "the last point is within the run's training time");
}));

test("KL per step: the rollouts' where an algorithm holds a reference, the held-out evaluation's (dashed) where it does not", () => withFixtureCopy((dir) => {
  const { summary, metrics } = readComparison(dir);
  const kl = comparisonCharts(summary, metrics).find((c) => c.id === "kl")!;
  const byName = new Map(kl.series.map((s, i) => [s.name, { series: s, ys: kl.data[i + 1] }]));
  for (const name of ["astar", "ppo"]) {
    assert.equal(byName.get(name)!.series.dashed, false);
    const rollout = metrics.get(name)!.filter((r) => typeof r.kl === "number").map((r) => r.kl);
    assert.deepEqual(byName.get(name)!.ys.filter((y) => y !== null), rollout);
  }
  for (const name of ["grpo", "rebel"]) {
    assert.equal(byName.get(name)!.series.dashed, true);
    assert.match(byName.get(name)!.series.label, /\(held-out\)$/);
    assert.deepEqual(byName.get(name)!.ys.filter((y) => y !== null), metrics.get(name)!.filter((r) => typeof r.eval_kl === "number").map((r) => r.eval_kl));
  }
}));

test("strings from the data are escaped in the page and come back intact from its data block", () => {
  const hostile = `<img src=x onerror="alert('x')">&</script><script>alert(1)</script>`;
  const line = { accuracy_base: 0.5, accuracy: 0.6, wall_s: 2, stage1_s: 0, sample_s: 1, reward_s: 0, reference_s: 0, train_s: 1, eval_s: 1,
    peak_memory_bytes: 1000, kl: 0.1, generated_tokens: 10, steps: 1, run_dir: "x", accuracy_by_time: [{ step: 1, cost_s: 2, accuracy: 0.6 }] };
  const summary: ComparisonSummary = { task: hostile, model: hostile, prompts: 4, batch_size: 2, steps: 1, seed: 0,
    algorithms: [{ ...line, name: hostile }, { ...line, name: "grpo" }] };
  const records: MetricsRecord[] = [{ step: 0, cost_s: 0, eval_accuracy: 0.5, eval_kl: 0 }, { step: 1, cost_s: 2, reward: 0.5, kl: null, "completions/mean_length": 3,
    eval_accuracy: 0.6, eval_kl: 0.1 }];
  const html = reportHtml(summary, comparisonCharts(summary, new Map([[hostile, records], ["grpo", records]])), { script: "", style: "" });
  assert.ok(!html.includes("<img"), "no markup from the data");
  assert.equal(html.match(/<script\b/g)?.length, 3, "no script from the data");
  assert.equal(html.match(/<\/script>/g)?.length, 3, "nothing from the data closes a script");
  assert.ok(html.includes("&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;&lt;/script&gt;"), "the text is shown escaped");
  assert.equal(chartsOf(html)[0].series[0].name, hostile, "the data block carries the string unchanged");
});

test("the claim line is filled from the summary, and the page lists the paper's claim checked part by part", () => withFixtureCopy(async (dir) => {
  const { summary } = readComparison(dir);
  assert.equal(claimLine(summary),
    "A*-PO reached 60.0% in 11.0 s vs GRPO's 64.0% in 25.0 s (0.44x the training time, stage 1 included, 4.0 points behind; the reference: 59.0%)");
  assert.equal(claimLine({ ...summary, algorithms: summary.algorithms.filter((a) => a.name !== "grpo") }), null, "no claim without GRPO");
  const html = readFileSync(await writeReport(dir), "utf8");
  assert.ok(html.includes(`<p class="claim">${claimLine(summary)!.replace("'", "&#39;")}</p>`), "the claim line heads the page");
  const checks = checkClaim(summary);
  assert.equal(html.match(/<li class="(holds|fails)">/g)?.length, checks.length, "every part of the claim is listed");
  assert.match(html, /<li class="fails"><span class="mark">does not hold<\/span>A\*-PO&#39;s held-out accuracy 60\.0% is within 2 points of GRPO&#39;s 64\.0%/);
}));

test("a broken comparison folder is refused with the file and the key, step or line", () => withFixtureCopy((dir) => {
  const summaryPath = join(dir, "summary.json");
  const summary = JSON.parse(readFileSync(summaryPath, "utf8")) as { algorithms: Array<Record<string, unknown>> };
  delete summary.algorithms[1].wall_s;
  writeFileSync(summaryPath, JSON.stringify(summary));
  assert.throws(() => readComparison(dir), (e: Error) => e.message.startsWith(summaryPath) && e.message.includes(`"algorithms.1.wall_s"`));

  cpSync(join(FIXTURE, "summary.json"), summaryPath);
  const metricsPath = join(dir, "ppo", "metrics.jsonl");
  const lines = readFileSync(metricsPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as MetricsRecord);
  delete lines[0].cost_s;
  writeFileSync(metricsPath, lines.map((r) => JSON.stringify(r)).join("\n"));
  assert.throws(() => readComparison(dir), (e: Error) => e.message.startsWith(`${metricsPath}: step 0: an evaluation without cost_s`));
  lines[0] = { ...lines[0], cost_s: 0, reward: "high" };
  writeFileSync(metricsPath, lines.map((r) => JSON.stringify(r)).join("\n"));
  assert.throws(() => readComparison(dir), (e: Error) => e.message.startsWith(`${metricsPath}: step 0: key "reward"`));
  writeFileSync(metricsPath, `${JSON.stringify(lines[1])}\n{"step": 2,\n`);
  assert.throws(() => readComparison(dir), (e: Error) => e.message.startsWith(`${metricsPath}: line 2: not valid JSON`));
}));

test("a table per algorithm that kept its rollouts shows the best and the worst samples of its last step", () => withFixtureCopy(async (dir) => {
  writeSampleStore(join(dir, "grpo", "rollouts.sqlite"), 3, "grpo", "grpo");
  const { samples } = readComparison(dir);
  assert.deepEqual(samples.get("astar"), [], "astar kept no rollouts");
  // Best two (reward 1, highest advantage first), then the worst two, lowest last.
  assert.deepEqual(samples.get("grpo")!.map((r) => [r.step, r.completion, r.reward]), [[3, "#### 5", 1], [3, "#### 6", 1], [3, "#### 7", 0], [3, "no answer", 0]]);
  const html = readFileSync(await writeReport(dir), "utf8");
  const section = html.slice(html.indexOf("<h2>Samples of the last step</h2>"));
  assert.equal(section.match(/<table class="samples">/g)?.length, 1, "one table: only grpo kept rollouts");
  assert.match(section, /GRPO<\/h3>|GRPO, step 3<\/h3>/);
  assert.match(section, /<td>0 \(undecided\)<\/td><td>-0\.5<\/td><td>6 \(cut\)<\/td><td class="text">2\+3 = \?<\/td><td class="text">no answer<\/td>/);
}));
