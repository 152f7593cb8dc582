// Learning-rate schedules: a linear warm-up over the first warmupSteps
// optimizer updates, then constant, linear decay to 0, or a half cosine to 0
// at the last update (as transformers' schedulers with warm-up).
import type { RunConfig } from "./config.js";

/** The rate of the update that follows `done` updates, out of `total`. */
export function learningRate(config: Pick<RunConfig, "lr" | "lrScheduler" | "warmupSteps">, done: number, total: number): number {
  const warmup = config.warmupSteps;
  if (done < warmup) return (config.lr * (done + 1)) / warmup;
  if (config.lrScheduler === "constant") return config.lr;
  const progress = total > warmup ? Math.min(1, (done - warmup) / (total - warmup)) : 1;
  return config.lrScheduler === "linear" ? config.lr * (1 - progress) : config.lr * 0.5 * (1 + Math.cos(Math.PI * progress));
}
