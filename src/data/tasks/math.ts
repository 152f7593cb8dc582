// MATH, MATH500, AIME, AMC: competition problems whose answers are LaTeX, given
// as an answer column or as the last \boxed{} of a worked solution.
import type { FileTask } from "./task.js";

/** The paper's instruction for MATH, appended to the problem. */
export const MATH_INSTRUCTION = " Let's think step by step and output the final answer within \\boxed{}.";

/**
 * The content of the last `\boxed{...}` (or `\fbox{...}`, or `\boxed 5`) of a
 * text, braces matched; null when there is none or its braces do not close.
 */
export function lastBoxed(text: string): string | null {
  const commands = [...text.matchAll(/\\(?:boxed|fbox)(?![a-zA-Z])/g)];
  const last = commands.at(-1);
  if (last === undefined) return null;
  const afterCommand = last.index + last[0].length;
  let i = afterCommand;
  while (text[i] === " ") i++;
  if (text[i] !== "{") {
    // `\boxed 5`: the answer runs to the next space or `$`.
    const bare = i > afterCommand ? /^[^\s$]+/.exec(text.slice(i)) : null;
    return bare === null ? null : bare[0];
  }
  const start = i + 1;
  let depth = 0;
  for (; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(start, i);
  }
  return null;
}

/** An answer column's text: its last \boxed{} if it has one, else the text without surrounding `$`. */
function answerOf(text: string): string {
  return lastBoxed(text) ?? text.trim().replace(/^\$+([\s\S]*?)\$+$/, "$1").trim();
}

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
