// A reward written in TypeScript, on a built-in task, trained with A*-PO.
//
//   npx tsx examples/custom-reward.ts           # a few minutes on two cores
//   npx tsx examples/custom-reward.ts --quick   # the seconds-long run the test suite makes
//
// The shipped arithmetic model (builtin:arithmetic) answers `3+4*2 = ?` with
// worked lines and a final `#### 11`. The reward below, a function written
// here, pays for the right answer; a built-in one adds a little for ending on
// an answer line. Stage 1, training and the held-out evaluations all score
// with their weighted sum. The run goes to runs/example-custom-reward/ (delete
// it to start again).
import { patternFormat, rewardPerItem, train } from "astarpo";

const quick = process.argv.includes("--quick");

/** 1 when the `#### n` line holds the task's answer (the `answer` column), 0 when another; null (undecided) without one. */
const correct = rewardPerItem((completion, columns) => {
  const answer = /#### (-?\d+)/.exec(completion.text)?.[1];
  if (answer === undefined) return null;
  return Number(answer) === Number(columns.answer) ? 1 : 0;
});


const result = await train(
  {
    algo: "astar",
    model: "builtin:arithmetic",
    task: "arithmetic",
    knobs: { digits: 1, steps: 2 },
    name: quick ? "example-custom-reward-quick" : "example-custom-reward",
    trainSize: quick ? 16 : 384,
    evalSize: quick ? 8 : 200,
    numValueSamples: quick ? 2 : 4,
    batchSize: quick ? 8 : 64,
    miniBatchSize: quick ? 8 : 64,
    epochs: quick ? 1 : 3,
    maxSteps: quick ? 2 : undefined,
    evalEvery: quick ? 0 : 6,
    lr: 1e-4,
  },
  {
    reward: [
      { fn: correct, weight: 1, name: "correct" },
      { fn: patternFormat(/#### -?\d+\s*$/), weight: 0.1, name: "format" },
    ],
    onStep: (m) => console.log(`step ${m.step}: reward ${m.reward.toFixed(3)}, KL ${m.kl?.toFixed(4)}, ${m.step_s.toFixed(1)} s`),
    onEval: ({ step, result: e }) => console.log(`held-out at step ${step}: mean reward ${e.accuracy.toFixed(3)} (${e.unparsed} without an answer)`),
  },
);
console.log(`trained ${result.steps} steps; the model is in ${result.modelDir}`);
