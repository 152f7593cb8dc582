// The report in a real headless browser (`npm run test:browser`, not part of
// `npm test`): Debian's chromium opens report.html from disk, and the check
// asserts that the page renders, that every chart holds and draws data points,
// that nothing is logged as an error and that no request leaves the page.
// A screenshot is saved beside the report.
// The report checked: test/fixtures/report copied into runs/report-check/, or
// the comparison folder REPORT_DIR names. CHROMIUM: the browser (default
// Debian's /usr/bin/chromium); playwright-core drives it and never downloads one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { writeReport } from "../../src/report/index.js";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

function reportDir(): string {
  if (process.env.REPORT_DIR !== undefined) return resolve(process.env.REPORT_DIR);
  const dir = resolve("runs", "report-check");
  rmSync(dir, { recursive: true, force: true });
  cpSync(join("test", "fixtures", "report"), dir, { recursive: true });
  return dir;
}

/** What the page shows, read inside it. */
interface Drawn {
  title: string;
  rows: number;
  figures: number;
  /** Per chart: its id, and per series its label, its data points and the canvas pixels in its colour. */
  charts: Array<{ id: string; width: number; series: Array<{ label: string; points: number; pixels: number }> }>;
}

test("report.html renders in chromium offline: every chart draws every algorithm's points, no errors, no requests", { timeout: 120_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM`);
  const dir = reportDir();
  const page = pathToFileURL(await writeReport(dir)).href;
  const profile = mkdtempSync(join(tmpdir(), "astarpo-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, offline: true,
  });
  try {
    const tab = context.pages()[0] ?? await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    tab.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
    tab.on("pageerror", (error) => errors.push(error.message));
    context.on("request", (request) => { if (request.url() !== page) requests.push(request.url()); });

    await tab.goto(page, { waitUntil: "load" });
    await tab.waitForFunction(() => Array.isArray((window as unknown as { reportCharts?: unknown[] }).reportCharts));
    // No named functions in here: tsx keeps functions' names through a helper the page does not have.
    const drawn: Drawn = await tab.evaluate(() => {
      interface Plot { root: HTMLElement; data: Array<Array<number | null>>; series: Array<{ label: string; stroke: () => string }>; ctx: CanvasRenderingContext2D }
      const plots = (window as unknown as { reportCharts: Plot[] }).reportCharts;
      return {
        title: document.querySelector("h1")?.textContent ?? "",
        rows: document.querySelectorAll("table.results > tbody > tr").length,
        figures: document.querySelectorAll("figure.chart").length,
        charts: plots.map((plot) => {
          const { width, height } = plot.ctx.canvas;
          const pixels = plot.ctx.getImageData(0, 0, width, height).data;
          return {
            id: plot.root.parentElement!.id, width,
            series: plot.series.slice(1).map((s, i) => {
              const color = typeof s.stroke === "function" ? s.stroke() : String(s.stroke);
              const [r, g, b] = [1, 3, 5].map((at) => parseInt(color.slice(at, at + 2), 16));
              let inColour = 0;
              for (let p = 0; p < pixels.length; p += 4) {
                if (pixels[p + 3] > 200 && Math.abs(pixels[p] - r) + Math.abs(pixels[p + 1] - g) + Math.abs(pixels[p + 2] - b) < 24) inColour++;
              }
              return { label: s.label, points: plot.data[i + 1].filter((y) => typeof y === "number").length, pixels: inColour };
            }),
          };
        }),
      };
    });
    const screenshot = join(dir, "report.png");
    await tab.screenshot({ path: screenshot, fullPage: true });
    console.log(`# report ${page}\n# screenshot ${screenshot}`);

    assert.deepEqual(errors, [], "console or page errors");
    assert.deepEqual(requests, [], "requests besides the page itself");
    assert.match(drawn.title, /\S/, "the page has a title");
    assert.ok(drawn.rows >= 2, `table rows: ${drawn.rows}`);
    assert.equal(drawn.charts.length, drawn.figures, "one plot per chart figure");
    assert.ok(drawn.figures >= 4, `charts: ${drawn.figures}`);
    for (const chart of drawn.charts) {
      assert.ok(chart.width > 200, `${chart.id}: canvas ${chart.width} px wide`);
      assert.equal(chart.series.length, drawn.rows, `${chart.id}: a series per algorithm`);
      for (const series of chart.series) {
        assert.ok(series.points > 0, `${chart.id}, ${series.label}: no data points`);
        assert.ok(series.pixels > 0, `${chart.id}, ${series.label}: nothing drawn in its colour`);
      }
    }
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
