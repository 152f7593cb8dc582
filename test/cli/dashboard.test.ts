// The live view without a terminal: the trainer's hooks fold into its state, and the state draws as text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderToString } from "ink";
import { createElement } from "react";
import { Dashboard } from "../../src/cli/dashboard.js";
import { eta, evaluated, initialState, logged, rolloutDone, sparkline, started, stepDone, timeSplit, withStatus } from "../../src/cli/dashboard-state.js";
import { rolloutSequence } from "../algos/sequences.js";

const step = (n: number, fields: Record<string, number | null>) => ({
  step: n, reward: 0.5, kl: null, "completions/mean_length": 20, step_s: 2, sample_s: 1, reward_s: 0, reference_s: 0, train_s: 1, rollouts_s: 0, ...fields,
});

test("the live view's state: series per step, held-out points, the time split with evaluation apart, the ETA, the newest samples and events", () => {
  let state = started(initialState(""), { runDir: "runs/demo", algo: "grpo", step: 0, totalSteps: 10 });
  state = evaluated(state, { eval_accuracy: 0.5, eval_kl: 0 });
  state = stepDone(state, step(1, { reward: 0.25, wall_s: 6 }));
  // Step 2 ran an evaluation of 3 s: the run's total grew by 5 s, 2 of them the step's phases.
  state = evaluated(state, { eval_accuracy: 0.75, eval_kl: 0.5 });
  state = stepDone(state, step(2, { reward: 0.75, step_s: 4, eval_accuracy: 0.75, eval_kl: 0.5, wall_s: 11 }));
  assert.deepEqual([state.step, state.reward, state.accuracy, state.heldOutKl, state.kl, state.length], [2, [0.25, 0.75], [0.5, 0.75], [0, 0.5], [], [20, 20]]);
  assert.deepEqual(state.seconds, { sample: 2, reward: 0, "ref/critic": 0, train: 2, store: 0, other: 3 });
  assert.equal(timeSplit(state), "other 43% · sample 29% · train 29%");
  assert.equal(eta(state), 3 * 8, "8 steps left at the mean of 2 s and 4 s");

  const batch = { groups: 2, sequences: [0, 0, 1, 1].map((group, i) => rolloutSequence({ group, reward: i, text: `answer ${i}` })) };
  state = rolloutDone(state, batch, 3, (group) => `question ${group}`);
  assert.deepEqual(state.samples, [{ step: 3, reward: 0, prompt: "question 0", completion: "answer 0" }, { step: 3, reward: 2, prompt: "question 1", completion: "answer 2" }]);
  for (let i = 1; i <= 6; i++) state = logged(state, `event ${i}`);
  assert.deepEqual(state.events, ["event 3", "event 4", "event 5", "event 6"]);
  assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), "▁▂▃▄▅▆▇█");
  assert.equal(sparkline([1, 1]), "▄▄");
});

test("the live view draws the step, the sparklines, the samples, the events and the keys", () => {
  let state = started(initialState(""), { runDir: "runs/demo", algo: "grpo", step: 0, totalSteps: 10 });
  state = evaluated(state, { eval_accuracy: 0.5, eval_kl: 0 });
  state = stepDone(state, step(1, { reward: 0.25, wall_s: 2 }));
  state = evaluated(state, { eval_accuracy: 0.75, eval_kl: 0.5 });
  state = stepDone(state, step(2, { reward: 0.75, wall_s: 4, eval_accuracy: 0.75, eval_kl: 0.5 }));
  state = rolloutDone(state, { groups: 1, sequences: [rolloutSequence({ reward: 1, text: "= 3+8\n= 11\n#### 11" })] }, 2, () => "3+4*2 = ?\n");
  state = logged(state, "checkpoint runs/demo/checkpoints/step-000002");
  const screen = renderToString(createElement(Dashboard, { state: withStatus(state, "paused") }), { columns: 90 });
  const lines = screen.split("\n");
  assert.match(lines[1], /astarpo train · grpo · runs\/demo/);
  assert.match(lines[2], /step 2\/10 █{5}░{19} 20% · 2 s\/step · ETA 16s · paused/);
  assert.match(screen, /reward +0\.75 +▁█/);
  assert.match(screen, /held-out acc +75\.0% +▁█/);
  assert.match(screen, /KL held-out +0\.5 +▁█/, "no reference in training: the held-out KL");
  assert.match(screen, /latest samples \(step 2\) +│\n│ 1 +3\+4\*2 = \? → = 3\+8 = 11 #### 11/);
  assert.match(screen, /checkpoint runs\/demo\/checkpoints\/step-000002/);
  assert.match(screen, /\[p\] resume {2}\[s\] save a checkpoint now {2}\[q\] stop/);
  assert.doesNotMatch(renderToString(createElement(Dashboard, { state: withStatus(state, "done") }), { columns: 90 }), /\[p\]/, "no keys once done");
});
