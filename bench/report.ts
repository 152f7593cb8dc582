// The one output format every benchmark shares.
export interface Metric {
  metric: string;
  value: number;
  unit: string;
  peer: number | null;
  config: string | null;
}

export class Report {
  private readonly rows: Metric[] = [];
  constructor(private readonly bench: string, private readonly json: boolean) {}

  add(metric: string, value: number, unit: string, peer: number | null = null, config: string | null = null): void {
    const row = { metric, value, unit, peer, config };
    this.rows.push(row);
    if (this.json) {
      const ratio = peer === null || peer === 0 ? null : value / peer;
      console.log(JSON.stringify({ bench: this.bench, metric, value, unit, peer, ratio, config }));
    }
  }

  /** Prints the table (text mode only). */
  finish(): void {
    if (this.json) return;
    const header = ["metric", "config", "value", "unit", "peer", "ratio"];
    const lines = this.rows.map((r) => [
      r.metric, r.config ?? "", fmt(r.value), r.unit, r.peer === null ? "" : fmt(r.peer),
      r.peer === null || r.peer === 0 ? "" : `${(r.value / r.peer).toFixed(3)}x`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const show = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
    console.log(show(header));
    console.log(widths.map((w) => "-".repeat(w)).join("  "));
    for (const l of lines) console.log(show(l));
  }
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}
