// What a long job shows while it runs: a live bar in a terminal (cli-progress),
// plain lines every few seconds where the output is a log file or CI, and
// nothing at all when the caller asks for silence (tests, library use).
import { SingleBar } from "cli-progress";

export interface Progress {
  start(total: number, startValue: number, fields: Record<string, string>): void;
  update(value: number, fields: Record<string, string>): void;
  stop(): void;
  /**
   * Runs `write`, which prints whole lines to the terminal the bar is drawn on, with the bar's
   * line cleared first and drawn again below them, so that no line is written over the bar.
   */
  printAbove(write: () => void): void;
}

const silent: Progress = { start() {}, update() {}, stop() {}, printAbove: (write) => write() };

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
    // The bar's line is cleared under printed lines, so it is drawn again even when its text has not changed.
    forceRedraw: true,
  });
  let drawn = false;
  return {
    start: (total, startValue, fields) => {
      bar.start(total, startValue, fields);
      drawn = process.stderr.isTTY;
    },
    update: (value, fields) => bar.update(value, fields),
    stop: () => {
      bar.stop();
      drawn = false;
    },
    printAbove: (write) => {
      if (!drawn) return write();
      process.stderr.write("\r\x1b[2K");
      write();
      // The bar returns to the cursor position saved where it started when it stops: that is below these lines now (DECSC).
      process.stderr.write("\x1b7");
      bar.render();
    },
  };
}

/** A number for a progress line: 3 significant digits, or "-" when there is none yet. */
export function short(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "-" : Number(x.toPrecision(digits)).toString();
}
