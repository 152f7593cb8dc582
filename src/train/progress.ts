// What a long job shows while it runs: a live bar in a terminal (cli-progress),
// plain lines every few seconds where the output is a log file or CI, and
// nothing at all when the caller asks for silence (tests, library use).
import { SingleBar } from "cli-progress";

export interface Progress {
  start(total: number, startValue: number, fields: Record<string, string>): void;
  update(value: number, fields: Record<string, string>): void;
  stop(): void;
}

const silent: Progress = { start() {}, update() {}, stop() {} };

/**
 * A bar whose line is `format` with {bar}, {value}, {total}, {eta_formatted}
 * and the caller's {fields}. Writes to stderr, so stdout stays machine-readable.
 */
export function progressBar(format: string, enabled: boolean): Progress {
  if (!enabled) return silent;
  const bar = new SingleBar({
    format,
    stream: process.stderr,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
    etaBuffer: 20,
    hideCursor: true,
    barsize: 24,
  });
  return {
    start: (total, startValue, fields) => bar.start(total, startValue, fields),
    update: (value, fields) => bar.update(value, fields),
    stop: () => bar.stop(),
  };
}

/** A number for a progress line: 3 significant digits, or "-" when there is none yet. */
export function short(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "-" : Number(x.toPrecision(digits)).toString();
}
