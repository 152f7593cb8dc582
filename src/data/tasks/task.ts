// A task adapter for data read from files: the paper's instruction that turns
// a bare question into its prompt, the ground truth a row holds, and the name
// of the reward that checks answers (resolved by the trainer).
import type { RowFields } from "../shapes.js";

export type GroundTruth = { answer: string } | { field: "answer" | "solution"; reason: string };

export interface FileTask {
  name: string;
  description: string;
  /** The reward that checks this task's answers, by name; null when runs bring their own (a reward function given from code). */
  reward: string | null;
  /** Appended to a bare question to make the paper's plain-text prompt (it starts with a space). */
  instruction: string;
  /** The ground truth from a row's answer and solution fields, or which field fails and why. */
  groundTruth(fields: Pick<RowFields, "answer" | "solution">): GroundTruth;
}
