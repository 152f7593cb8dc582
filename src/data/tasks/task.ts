// A task adapter for data read from files: the paper's instruction that turns
// a bare question into its prompt, the ground truth a row holds, and the name
// of the reward that checks answers (resolved by the trainer).
import type { RowFields } from "../shapes.js";

/** A row's ground truth, or why the row has none. */
export type GroundTruth =
  | {
      /** The ground truth the reward compares with. */
      answer: string;
    }
  | {
      /** The field at fault. */
      field: "answer" | "solution";
      /** What is wrong with it, for the row's error. */
      reason: string;
    };

/** How a task reads data files: its prompt instruction, ground truth and reward. */
export interface FileTask {
  /** The task's name, as `--task` takes it. */
  name: string;
  /** One line for help texts and listings. */
  description: string;
  /** The reward that checks this task's answers, by name; null when runs bring their own (a reward function given from code). */
  reward: string | null;
  /** Appended to a bare question to make the paper's plain-text prompt (it starts with a space). */
  instruction: string;
  /** The ground truth from a row's answer and solution fields, or which field fails and why. */
  groundTruth(fields: Pick<RowFields, "answer" | "solution">): GroundTruth;
}
