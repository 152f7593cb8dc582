// The live view of `astarpo train` in a real terminal (`npm run test:terminal`,
// not part of `npm test`): tmux runs the command in a pane, the check types
// keys into it and reads the screen back. It shows the held-out accuracy, pauses a run (the step stops
// moving), saves a checkpoint while paused, resumes, stops with q (a
// checkpoint, the resume hint), and resumes the run from that checkpoint to
// its end. TMUX_BIN: the tmux to use (default Debian's, from PATH).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const TMUX = process.env.TMUX_BIN ?? "tmux";
const SESSION = `astarpo-live-${process.pid}`;

const tmux = (...args: string[]) => execFileSync(TMUX, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const screen = () => tmux("capture-pane", "-p", "-t", SESSION);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the screen matches `pattern`; fails with the screen after `seconds`. */
async function waitFor(pattern: RegExp, seconds = 90): Promise<RegExpMatchArray> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const text = screen();
    const match = text.match(pattern);
    if (match !== null) return match;
    if (Date.now() > end) assert.fail(`the screen never showed ${pattern}:\n${text}`);
    await sleep(250);
  }
}

const shownStep = async () => Number((await waitFor(/step (\d+)\/\d+/))[1]);

/**
 * `astarpo train` on the sources under test, in a fresh pane that stays open after the command ends,
 * in a user's terminal unless `ci` (a CI job's variables, which turn the live view into plain lines).
 */
function startTrain(dir: string, ci: boolean, ...flags: string[]): void {
  const bin = [process.execPath, "--import", "tsx", "--import", resolve("test/cli/from-sources.mjs"), resolve("bin/astarpo.js")];
  const args = ["train", "--model", "builtin:arithmetic", "--knob", "digits=1", "--knob", "steps=2", "--algo", "grpo", "--num-generations", "4",
    "--train-size", "64", "--eval-size", "16", "--batch-size", "4", "--mini-batch-size", "4", "--eval-every", "10", "--save-every", "0", "--lr", "1e-4",
    "--output-dir", dir, "--name", "live", ...flags];
  const environment = ci ? "env CI=true" : "env -u CI -u CONTINUOUS_INTEGRATION";
  const command = `${environment} ${[...bin, ...args].map((a) => `'${a}'`).join(" ")}; echo "exit status $?"; sleep 600`;
  try {
    tmux("kill-session", "-t", SESSION);
  } catch {
    // No session of that name: nothing to end.
  }
  tmux("new-session", "-d", "-s", SESSION, "-x", "100", "-y", "40", command);
}

test("astarpo train in a terminal: the live view pauses, saves a checkpoint now, stops with a checkpoint, and the run resumes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-terminal-"));
  const checkpoint = (step: number) => join(dir, "live", "checkpoints", `step-${String(step).padStart(6, "0")}`);
  try {
    startTrain(dir, false, "--max-steps", "400");
    await waitFor(/astarpo train · grpo · .*live/);
    await waitFor(/step [1-9]\d*\/400 .*running/);
    await waitFor(/reward +\d/);
    await waitFor(/held-out acc +\d+\.\d%/);

    tmux("send-keys", "-t", SESSION, "p");
    await waitFor(/· paused/);
    const paused = await shownStep();
    await sleep(2000);
    assert.equal(await shownStep(), paused, "a paused run takes no step");
    assert.match(screen(), /\[p\] resume/);

    tmux("send-keys", "-t", SESSION, "s");
    await waitFor(new RegExp(`checkpoint .*step-${String(paused).padStart(6, "0")}`));
    assert.ok(existsSync(checkpoint(paused)), "the checkpoint asked for while paused is on disk");

    tmux("send-keys", "-t", SESSION, "p");
    await waitFor(new RegExp(`step (?!${paused}/)\\d+/400 .*running`));

    tmux("send-keys", "-t", SESSION, "q");
    const stopped = Number((await waitFor(/stopped at step (\d+); resume with --resume/))[1]);
    await waitFor(/exit status 0/);
    assert.ok(stopped > paused);
    assert.ok(existsSync(checkpoint(stopped)), "stopping saved a checkpoint");

    startTrain(dir, false, "--max-steps", String(stopped + 3), "--resume");
    await waitFor(new RegExp(`done: ${stopped + 3} steps`));
    await waitFor(/exit status 0/);
  } finally {
    try {
      tmux("kill-session", "-t", SESSION);
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test("astarpo train in a CI job's terminal prints plain progress lines, event lines above the bar, since the live view would draw only its last frame there", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-terminal-"));
  try {
    startTrain(dir, true, "--max-steps", "12");
    await waitFor(/exit status 0/);
    const text = screen();
    // Each event line whole on its own line: none written over by the progress bar, nor the bar over one.
    assert.match(text, /^step 10: held-out accuracy \d+\.\d%, KL \S+$/m);
    assert.match(text, /^checkpoint \S+step-000012$/m);
    assert.match(text, /^train =+ 12\/12 steps \|.*ETA 0s$/m);
    assert.match(text, /^done: 12 steps/m);
    assert.doesNotMatch(text, /astarpo train · grpo/, "no live view box");
  } finally {
    try {
      tmux("kill-session", "-t", SESSION);
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
