// MATH, MATH500, AIME, AMC: competition problems whose answers are LaTeX, given
// as an answer column or as the last \boxed{} of a worked solution.
import { lastBoxed } from "../../rewards/extract.js";
import type { FileTask } from "./task.js";

/** The paper's instruction for MATH, appended to the problem. */
export const MATH_INSTRUCTION = " Let's think step by step and output the final answer within \\boxed{}.";

/** An answer column's text: its last \boxed{} if it has one, else the text without surrounding `$`. */
function answerOf(text: string): string {
  return lastBoxed(text) ?? text.trim().replace(/^\$+([\s\S]*?)\$+$/, "$1").trim();
}

/** MATH-style data: the ground truth is the answer column, or the last \\boxed{} of the solution. */
export const mathTask: FileTask = {
  name: "math",
  description: "competition math (MATH, MATH500, AIME, AMC); the answer is LaTeX in \\boxed{}",
  reward: "math",
  instruction: MATH_INSTRUCTION,
  groundTruth({ answer, solution }) {
    if (answer !== undefined) {
      const truth = answerOf(answer);
      return truth !== "" ? { answer: truth } : { field: "answer", reason: "is empty" };
    }
    if (solution === undefined) return { field: "answer", reason: "is missing, and there is no solution column" };
    const boxed = lastBoxed(solution);
    return boxed !== null ? { answer: boxed.trim() } : { field: "solution", reason: "has no \\boxed{...} with matching braces" };
  },
};
