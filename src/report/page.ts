// report.html: one self-contained page (styles, the chart library, the data
// and the script that draws it all inline), so it opens offline and can be
// mailed or archived as one file. Every string from the data is escaped: as
// HTML text where it is written into the page, and as JSON with "<" escaped
// inside the data block, so no value can close the script element.
import { COST_PHASES, type CostPhase, type PhaseSeconds } from "../train/checkpoint.js";
import type { ComparisonSummary } from "../train/compare.js";
import type { RolloutRow } from "../train/rollout-store.js";
import type { Chart } from "./charts.js";
import { checkClaim } from "../train/claim.js";
import { short } from "../train/progress.js";
import { claimLine } from "./claim.js";
import { algorithmColors, algorithmLabel } from "./palette.js";
import { ACCOUNTING_NOTE, COLUMNS, comparisonSetting, secs } from "./table.js";

/** The chart library's code and styles, inlined into the page. */
export interface ChartLibrary {
  script: string;
  style: string;
}

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `text` as HTML text or attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** `value` as JSON that is safe inside a script element: no "<" (so no "</script" or "<!--"), no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** The colour of each training phase in the time-split bars. */
const PHASE_COLORS: Readonly<Record<CostPhase, string>> = {
  stage1: "#5b5b5b", sample: "#8fb0d6", reward: "#e3c565", reference: "#a8cf8e", train: "#d9a0c4",
};
const PHASES = COST_PHASES.map(({ phase, label }) => ({ key: `${phase}_s` as const, label, color: PHASE_COLORS[phase] }));

function timeSplitBar(phases: Readonly<PhaseSeconds>, longest: number): string {
  const segments = PHASES.filter((p) => phases[p.key] > 0).map((p) => {
    const width = (100 * phases[p.key]) / longest;
    return `<span style="width:${width.toFixed(3)}%;background:${p.color}" title="${escapeHtml(`${p.label}: ${secs(phases[p.key])} s`)}"></span>`;
  });
  return `<div class="split">${segments.join("")}</div>`;
}

function resultsTable(summary: ComparisonSummary): string {
  const colors = algorithmColors(summary.algorithms.map((a) => a.name));
  const longest = Math.max(...summary.algorithms.map((a) => a.wall_s), 1e-9);
  // The header's first row groups neighbouring columns of one group; a column without a group spans both rows.
  const groups: Array<{ group: string; span: number }> = [];
  for (const c of COLUMNS) {
    const last = groups.at(-1);
    if (c.group !== "" && last?.group === c.group) last.span++;
    else groups.push({ group: c.group, span: 1 });
  }
  let column = 0;
  const top = groups.map(({ group, span }) => {
    const cell = group === "" ? `<th rowspan="2">${escapeHtml(COLUMNS[column].label)}</th>` : `<th colspan="${span}" class="group">${escapeHtml(group)}</th>`;
    column += span;
    return cell;
  });
  const second = COLUMNS.filter((c) => c.group !== "").map((c) => `<th>${escapeHtml(c.label)}</th>`);
  const bestValue = COLUMNS.map((c) => {
    if (c.best === undefined || summary.algorithms.length < 2) return null;
    const values = summary.algorithms.map(c.best.value).filter((v) => v !== null);
    return values.length === 0 ? null : c.best.order === "high" ? Math.max(...values) : Math.min(...values);
  });
  const rows = summary.algorithms.map((a) => {
    const cells = COLUMNS.map((c, i) => {
      const best = bestValue[i] !== null && c.best!.value(a) === bestValue[i];
      return `<td${best ? ' class="best"' : ""}>${escapeHtml(c.cell(a))}</td>`;
    });
    const name = `<th scope="row"><span class="swatch" style="background:${colors.get(a.name)}"></span>${escapeHtml(algorithmLabel(a.name))}</th>`;
    return `<tr>${name}${cells.join("")}<td class="bar">${timeSplitBar(a, longest)}</td></tr>`;
  });
  const legend = PHASES.map((p) => `<span><span class="swatch" style="background:${p.color}"></span>${escapeHtml(p.label)}</span>`).join("");
  return `<div class="scroll"><table class="results">
<thead><tr><th rowspan="2">algorithm</th>${top.join("")}<th rowspan="2" class="left">time split</th></tr><tr>${second.join("")}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table></div>
<p class="note"><span class="phases">${legend}</span> ${escapeHtml(ACCOUNTING_NOTE)}. Bold: the best of a column.</p>`;
}

/** Characters of a prompt or completion shown in the sample tables; the rest is in the run's rollouts.sqlite. */
const SAMPLE_TEXT_CHARS = 400;

function clipped(text: string): string {
  const trimmed = text.trimEnd();
  return trimmed.length > SAMPLE_TEXT_CHARS ? `${trimmed.slice(0, SAMPLE_TEXT_CHARS)}…` : trimmed;
}

/** Each algorithm's best and worst samples of its last step: what it was asked, what it answered, and what that earned. */
function sampleTables(summary: ComparisonSummary, samples: ReadonlyMap<string, readonly RolloutRow[]>): string {
  const colors = algorithmColors(summary.algorithms.map((a) => a.name));
  const tables = summary.algorithms.filter((a) => (samples.get(a.name) ?? []).length > 0).map((a) => {
    const rows = samples.get(a.name)!.map((r) => `<tr><td>${escapeHtml(short(r.reward))}${r.reward_raw === null ? " (undecided)" : ""}</td>` +
      `<td>${escapeHtml(short(r.advantage))}</td>` +
      `<td>${r.completion_tokens}${r.finish_reason === "length" ? " (cut)" : ""}</td>` +
      `<td class="text">${escapeHtml(clipped(r.prompt))}</td><td class="text">${escapeHtml(clipped(r.completion))}</td></tr>`);
    return `<h3><span class="swatch" style="background:${colors.get(a.name)}"></span>${escapeHtml(algorithmLabel(a.name))}, step ${samples.get(a.name)![0].step}</h3>
<div class="scroll"><table class="samples">
<thead><tr><th>reward</th><th>advantage</th><th>tokens</th><th class="left">prompt</th><th class="left">completion</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table></div>`;
  });
  if (tables.length === 0) return "";
  return `<section>
<h2>Samples of the last step</h2>
${tables.join("\n")}
<p class="note">The best and the worst responses of each algorithm's last rollout step. Every sample is in its run's rollouts.sqlite (<code>astarpo rollouts RUN</code>).</p>
</section>`;
}

function chartFigure(chart: Chart, headline: boolean): string {
  return `<figure class="${headline ? "chart headline" : "chart"}">
<h2>${escapeHtml(chart.title)}</h2>
<div class="plot" id="${escapeHtml(chart.id)}" data-chart="${escapeHtml(chart.id)}"></div>
<figcaption>${escapeHtml(chart.caption)}</figcaption>
</figure>`;
}

/** Draws every chart of the data block with uPlot, sized to its box; `window.reportCharts` holds the plots for checks. */
const DRAW = `
(function () {
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var axis = { stroke: "#444", grid: { stroke: "#e6e6e6", width: 1 }, ticks: { stroke: "#ccc", width: 1 } };
  // The legend reads values under the cursor, and nothing while the cursor is away.
  function reading(plot, value) { return value == null ? "" : String(Number(value.toPrecision(3))); }
  var plots = report.charts.map(function (chart, i) {
    var box = document.getElementById(chart.id);
    return new uPlot({
      width: box.clientWidth,
      height: i === 0 ? 360 : 260,
      scales: { x: { time: false } },
      cursor: i === 0 ? {} : { sync: { key: "steps" } },
      axes: [Object.assign({ label: chart.xLabel }, axis), Object.assign({ label: chart.yLabel, size: 64 }, axis)],
      series: [{ label: chart.xLabel }].concat(chart.series.map(function (s) {
        return {
          label: s.label, stroke: s.color, width: 2, spanGaps: true, dash: s.dashed ? [6, 4] : undefined, value: reading,
          points: s.markers ? { show: true, size: 7, fill: s.color } : {},
        };
      })),
    }, chart.data, box);
  });
  window.reportCharts = plots;
  window.addEventListener("resize", function () {
    plots.forEach(function (plot) { plot.setSize({ width: plot.root.parentNode.clientWidth, height: plot.height }); });
  });
})();
`;

const STYLE = `
:root { color-scheme: light; --text: #1d1d1f; --muted: #5f6368; --line: #dcdcdc; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--text); background: #fafafa; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 8px; }
.setting { color: var(--muted); margin: 0 0 18px; }
.claim { font-size: 18px; margin: 0 0 4px; padding: 12px 16px; background: #fff; border-left: 4px solid #D55E00; border-radius: 4px; }
.claim + section { margin-top: 16px; }
.checks ul { list-style: none; margin: 0; padding: 0; }
.checks li { padding: 3px 0; }
.checks .mark { display: inline-block; min-width: 108px; margin-right: 10px; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; text-align: center; }
.checks .holds .mark { background: #e3f1e0; color: #1e6b2a; }
.checks .fails .mark { background: #f8e1dc; color: #9b2a12; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; margin-bottom: 20px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 14px; }
th, td { padding: 6px 6px; border-bottom: 1px solid #ececec; text-align: right; white-space: nowrap; }
thead th { font-weight: 600; color: var(--muted); border-bottom: 1px solid var(--line); vertical-align: bottom; font-size: 13px; }
thead th[rowspan] { white-space: normal; }
thead th.group { text-align: center; border-bottom: 1px solid #c8c8c8; }
tbody th, th.left { text-align: left; }
td.best { font-weight: 700; background: #f3f7ee; }
td.bar { width: 14%; min-width: 100px; }
.split { display: flex; height: 12px; background: #f1f1f1; border-radius: 2px; overflow: hidden; }
.split span { display: block; height: 100%; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 7px; vertical-align: -1px; }
.note { color: var(--muted); font-size: 13px; margin: 10px 0 0; }
.phases > span { margin-right: 12px; white-space: nowrap; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 20px; background: none; border: none; padding: 0; }
.chart { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; min-width: 0; }
.chart.headline { grid-column: 1 / -1; }
.plot { width: 100%; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
footer { color: var(--muted); font-size: 12px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
table.samples td { vertical-align: top; }
table.samples td.text { text-align: left; white-space: pre-wrap; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; min-width: 160px; }
.u-legend { font-size: 13px; }
.u-legend .u-series:first-child { display: none; }
.u-inline.u-live th::after { content: none; }
.u-legend .u-value { min-width: 3.5em; text-align: left; color: var(--muted); }
`;

/** The whole page for a comparison and its charts. */
export function reportHtml(summary: ComparisonSummary, charts: readonly Chart[], library: ChartLibrary,
  samples: ReadonlyMap<string, readonly RolloutRow[]> = new Map()): string {
  const labels = summary.algorithms.map((a) => algorithmLabel(a.name));
  const title = labels.length > 1 ? `${labels[0]} vs ${labels.slice(1).join(", ")}` : labels.join("");
  const claim = claimLine(summary);
  const checks = checkClaim(summary).map((c) =>
    `<li class="${c.holds ? "holds" : "fails"}"><span class="mark">${c.holds ? "holds" : "does not hold"}</span>${escapeHtml(c.statement)}</li>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${title}: ${summary.task}, ${summary.model}`)}</title>
<style>${library.style}</style>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(title)} on ${escapeHtml(summary.task)}</h1>
<p class="setting">${escapeHtml(comparisonSetting(summary))}; the same prompts, seeds and number of steps for every algorithm.</p>
</header>
${claim === null ? "" : `<p class="claim">${escapeHtml(claim)}</p>`}
${checks.length === 0 ? "" : `<section class="checks">
<h2>The paper's claim, on these numbers</h2>
<ul>${checks.join("\n")}</ul>
</section>`}
<section>
<h2>Results</h2>
${resultsTable(summary)}
</section>
<section class="charts">
${charts.map((chart, i) => chartFigure(chart, i === 0)).join("\n")}
</section>
${sampleTables(summary, samples)}
<footer>Written by astarpo from summary.json and each run's metrics.jsonl. Charts drawn with uPlot.</footer>
</main>
<noscript>The charts need JavaScript; the table above holds the results.</noscript>
<script>${library.script}</script>
<script type="application/json" id="report-data">${scriptJson({ charts })}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
