// Any prompts, scored by a reward function given from code (a unit-test
// runner, a JSON-schema check, a judge): the prompt column is used as it is,
// and an answer is optional, passed on to the reward like every other column.
import type { FileTask } from "./task.js";

export const customTask: FileTask = {
  name: "custom",
  description: "any prompts, scored by a reward function given from code; the prompt (or question) column as it is, an answer column optional",
  reward: null,
  instruction: "",
  groundTruth({ answer, solution }) {
    return { answer: answer ?? solution ?? "" };
  },
};
