// A run's metrics: one JSON object per line in <run>/metrics.jsonl, with the
// names TRL and verl users know, and optionally TensorBoard event files. A
// resumed run first drops the lines after its checkpoint (they will be made
// again), so the file always tells one history.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { TensorBoardWriter } from "./tensorboard.js";

export type MetricsRecord = Record<string, number | string | null>;

export class MetricsLog {
  private readonly tensorboard: TensorBoardWriter | null;

  /** `tensorboardDir`: also write event files there (null: only the JSON lines). */
  constructor(readonly path: string, tensorboardDir: string | null = null) {
    this.tensorboard = tensorboardDir === null ? null : new TensorBoardWriter(tensorboardDir);
  }

  /** Keeps only the records of steps up to `step` (all of them when step is the last). */
  truncateAfter(step: number): void {
    if (!existsSync(this.path)) return;
    const kept = readFileSync(this.path, "utf8").split("\n").filter((line) => {
      if (line.trim() === "") return false;
      try {
        return (JSON.parse(line) as MetricsRecord).step as number <= step;
      } catch {
        return false;
      }
    });
    writeFileSync(this.path, kept.map((l) => `${l}\n`).join(""));
  }

  write(record: MetricsRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
    this.tensorboard?.scalars(record.step as number, record);
  }

  close(): void {
    this.tensorboard?.close();
  }
}

/** Every record of a metrics file (a run folder's metrics.jsonl); a line that is not a JSON object is refused with its number. */
export function readMetrics(path: string): MetricsRecord[] {
  return readFileSync(path, "utf8").split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new Error(`${path}: line ${i + 1}: not valid JSON: ${(error as Error).message}`);
    }
    if (record === null || typeof record !== "object" || Array.isArray(record)) throw new Error(`${path}: line ${i + 1}: expected a JSON object`);
    return [record as MetricsRecord];
  });
}
