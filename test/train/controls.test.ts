import { test } from "node:test";
import assert from "node:assert/strict";
import { RunControls } from "../../src/train/controls.js";

test("run controls: go when running, hold while paused until resumed or stopped, one checkpoint per request even while paused", async () => {
  const controls = new RunControls();
  let holds = 0;
  controls.onHold(() => holds++);
  assert.equal(await controls.next(), "go");
  assert.equal(holds, 0, "a running run does not hold");

  controls.pause();
  assert.equal(holds, 0, "a pause asked during a step holds nothing until the step ends");
  let answered: string | null = null;
  const held = controls.next().then((a) => { answered = a; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(answered, null, "a paused run waits");
  assert.equal(holds, 1, "holding between steps is announced");
  controls.requestCheckpoint();
  await held;
  assert.equal(answered, "checkpoint", "a checkpoint is saved while paused");
  const afterCheckpoint = controls.next();
  setTimeout(() => controls.resume(), 20);
  assert.equal(await afterCheckpoint, "go", "resuming lets the run go on");

  controls.pause();
  const stop = new AbortController();
  const stopped = controls.next(stop.signal);
  setTimeout(() => stop.abort(), 20);
  assert.equal(await stopped, "go", "stopping wakes a paused run, which then stops");
});
