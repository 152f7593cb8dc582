// GSM8K: grade-school word problems whose reference answers end in "#### n".
import type { FileTask, GroundTruth } from "./task.js";

/** The paper's instruction for GSM8K, appended to the question. */
export const GSM8K_INSTRUCTION = ` Let's think step by step and output the final answer after "####".`;

const NUMBER = /^-?(\d+\.?\d*|\.\d+)$/;

/** A number as GSM8K writes it, with thousands separators and `$` removed; null when it is not one. */
export function cleanGsm8kNumber(text: string): string | null {
  const cleaned = text.replace(/[,$]/g, "").trim();
  return NUMBER.test(cleaned) ? cleaned : null;
}

/** The number after the first `####` of a text; null when there is none. */
export function gsm8kFinalAnswer(text: string): string | null {
  const marked = /####([^\n]*)/.exec(text);
  return marked === null ? null : cleanGsm8kNumber(marked[1]);
}

function fromText(text: string, field: "answer" | "solution"): GroundTruth {
  if (text.includes("####")) {
    const answer = gsm8kFinalAnswer(text);
    return answer !== null ? { answer } : { field, reason: `no number after "####" in ${JSON.stringify(text.slice(text.indexOf("####"), text.indexOf("####") + 40))}` };
  }
  const plain = cleanGsm8kNumber(text);
  return plain !== null ? { answer: plain } : { field, reason: `neither a "#### n" line nor a number: ${JSON.stringify(text.slice(0, 60))}` };
}

/** GSM8K data: the ground truth is the number after `####` in the answer (or solution) column. */
export const gsm8kTask: FileTask = {
  name: "gsm8k",
  description: "GSM8K word problems; the answer is the number after \"####\"",
  reward: "gsm8k",
  instruction: GSM8K_INSTRUCTION,
  groundTruth({ answer, solution }) {
    if (answer !== undefined) return fromText(answer, "answer");
    if (solution !== undefined) return fromText(solution, "solution");
    return { field: "answer", reason: "is missing" };
  },
};
