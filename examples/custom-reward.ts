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
// it to start again). The README's "Use it from code" shows this program.
import { patternFormat, rewardPerItem, train } from "astarpo";

/** 1 when the `#### n` line holds the task's answer (the `answer` column), 0 when another; null (undecided) without one. */
const correct = rewardPerItem((completion, columns) => {
  const answer = /#### (-?\d+)/.exec(completion.text)?.[1];
  if (answer === undefined) return null;
  return Number(answer) === Number(columns.answer) ? 1 : 0;
});

const quick = process.argv.includes("--quick");
const size = quick
  ? { trainSize: 16, evalSize: 8, numValueSamples: 2, batchSize: 8, miniBatchSize: 8, maxSteps: 2, evalEvery: 0 }
  : { trainSize: 384, evalSize: 200, numValueSamples: 4, batchSize: 64, miniBatchSize: 64, epochs: 3, evalEvery: 6 };
const stop = new AbortController();
process.once("SIGINT", () => stop.abort()); // Ctrl-C: stop after this step, with a checkpoint

const result = await train(
  { algo: "astar", model: "builtin:arithmetic", task: "arithmetic", knobs: { digits: 1, steps: 2 }, lr: 1e-4, ...size,
    name: quick ? "example-custom-reward-quick" : "example-custom-reward" },
  {
    reward: [
      { fn: correct, weight: 1, name: "correct" },
      { fn: patternFormat(/#### -?\d+\s*$/), weight: 0.1, name: "format" },
    ],
    signal: stop.signal,
    onStep: (m) => console.log(`step ${m.step}: reward ${m.reward.toFixed(3)}, KL ${m.kl?.toFixed(4)}, ${m.step_s.toFixed(1)} s`),
    onEval: ({ step, metrics }) => console.log(`held-out at step ${step}: mean reward ${metrics.eval_accuracy.toFixed(3)} (${metrics.eval_unparsed} without an answer)`),
    onCheckpoint: ({ path }) => console.log(`checkpoint ${path}`),
  },
);
console.log(result.stopped ? `stopped at step ${result.steps}; train again with { resume: true }` : `trained ${result.steps} steps; the model is in ${result.modelDir}`);
