// The live view of `astarpo train` in a terminal, drawn with ink: React
// components laid out by flexbox and redrawn in place, with raw-mode key
// input. ink is what many command-line tools (Gatsby, Prisma, Shopify's CLI)
// build their terminal interfaces on; it is kept up to date, it redraws only
// what changed, and it renders the same components to a string, so the view
// is checked without a terminal. blessed and its forks have not been released
// for years; terminal-kit would have us position every cell by hand.
//
// Keys: p pauses and resumes (between steps), s saves a checkpoint now, q and
// Ctrl-C stop cleanly with a checkpoint (Ctrl-C twice quits at once).
import { Box, render, Text, useInput, type Instance } from "ink";
import type { RunControls } from "../train/controls.js";
import { short } from "../train/progress.js";
import type { TrainOptions } from "../train/trainer.js";
import {
  duration, eta, evaluated, initialState, logged, rolloutDone, sparkline, started, stepDone, timeSplit, withStatus, type DashboardState,
} from "./dashboard-state.js";

const percent = (x: number | undefined) => (x === undefined ? "-" : `${(100 * x).toFixed(1)}%`);
const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

function Series({ label, values, shown, color }: { label: string; values: readonly number[]; shown: string; color: string }) {
  return (
    <Box>
      <Box width={14}><Text>{label}</Text></Box>
      <Box width={9}><Text bold>{shown}</Text></Box>
      <Text color={color}>{sparkline(values)}</Text>
    </Box>
  );
}

const STATUS_COLOR: Record<DashboardState["status"], string> = {
  running: "green", pausing: "yellow", paused: "yellow", "checkpoint asked": "cyan", stopping: "red", done: "green",
};

export function Dashboard({ state }: { state: DashboardState }) {
  const left = eta(state);
  const done = state.totalSteps > 0 ? state.step / state.totalSteps : 0;
  const barWidth = 24;
  const filled = Math.round(done * barWidth);
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>astarpo train · {state.title}</Text>
      <Box>
        <Text>step {state.step}/{state.totalSteps} </Text>
        <Text color="green">{"█".repeat(filled)}</Text>
        <Text dimColor>{"░".repeat(barWidth - filled)}</Text>
        <Text> {(100 * done).toFixed(0)}% · {state.stepSeconds.length > 0 ? `${short(state.stepSeconds.at(-1))} s/step` : "first step"} · ETA {left === null ? "-" : duration(left)} · </Text>
        <Text color={STATUS_COLOR[state.status]} bold>{state.status}</Text>
      </Box>
      <Box flexDirection="column" marginTop={1}>
        <Series label="reward" values={state.reward} shown={short(state.reward.at(-1))} color="green" />
        <Series label="held-out acc" values={state.accuracy} shown={percent(state.accuracy.at(-1))} color="cyan" />
        {state.kl.length > 0 || state.heldOutKl.length === 0
          ? <Series label="KL" values={state.kl} shown={short(state.kl.at(-1))} color="magenta" />
          : <Series label="KL held-out" values={state.heldOutKl} shown={short(state.heldOutKl.at(-1))} color="magenta" />}
        <Series label="length" values={state.length} shown={short(state.length.at(-1))} color="blue" />
      </Box>
      <Box marginTop={1}>
        <Box width={14}><Text>time</Text></Box>
        <Text>{timeSplit(state)}</Text>
      </Box>
      <Box flexDirection="column" marginTop={1}>
        <Text bold>latest samples{state.samples.length > 0 ? ` (step ${state.samples[0].step})` : ""}</Text>
        {state.samples.map((s, i) => (
          <Box key={i}>
            <Box width={7} flexShrink={0}><Text color={s.reward > 0 ? "green" : "red"}>{short(s.reward, 2)}</Text></Box>
            <Text wrap="truncate-end">{oneLine(s.prompt)} → {oneLine(s.completion)}</Text>
          </Box>
        ))}
      </Box>
      {state.events.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          {state.events.map((line, i) => <Text key={i} dimColor wrap="truncate-end">{line}</Text>)}
        </Box>
      )}
      {state.status !== "done" && (
        <Box marginTop={1}>
          <Text dimColor>[p] {state.status === "paused" || state.status === "pausing" ? "resume" : "pause"}  [s] save a checkpoint now  [q] stop (with a checkpoint)</Text>
        </Box>
      )}
    </Box>
  );
}

function Keys({ onKey }: { onKey: (input: string, ctrl: boolean) => void }) {
  useInput((input, key) => onKey(input, key.ctrl));
  return null;
}

export interface LiveView {
  /** The hooks that feed it, to pass on to train(). */
  hooks: Required<Pick<TrainOptions, "onStart" | "onStep" | "onEval" | "onRollout" | "log">>;
  /** Leaves the last picture on screen and gives the terminal back. */
  close(): void;
}

/**
 * Starts drawing on `stream` once the steps begin (log lines before that,
 * stage 1's among them, go to `print`). Keys act on `controls` and `stop`.
 */
export function startLiveView(controls: RunControls, stop: AbortController, print: (line: string) => void,
  stream: NodeJS.WriteStream = process.stderr): LiveView {
  let state = initialState("");
  let instance: Instance | null = null;
  const draw = () => instance?.rerender(<View />);
  const update = (next: DashboardState) => {
    state = next;
    draw();
  };
  // The status turns to "paused" when the loop holds, so a screen that says so shows the step it holds at.
  controls.onHold(() => {
    if (controls.paused && !stop.signal.aborted) update(withStatus(state, "paused"));
  });
  const onKey = (input: string, ctrl: boolean) => {
    if ((ctrl && input === "c") || input === "q") {
      if (stop.signal.aborted && ctrl) {
        instance?.unmount();
        process.exit(130);
      }
      stop.abort();
      update(withStatus(state, "stopping"));
    } else if (input === "p" && !stop.signal.aborted) {
      if (controls.paused) controls.resume();
      else controls.pause();
      update(withStatus(state, controls.paused ? "pausing" : "running"));
    } else if (input === "s" && !stop.signal.aborted) {
      controls.requestCheckpoint();
      if (!controls.paused) update(withStatus(state, "checkpoint asked"));
    }
  };
  const View = () => (
    <>
      <Keys onKey={onKey} />
      <Dashboard state={state} />
    </>
  );
  return {
    hooks: {
      onStart: (info) => {
        state = started(state, info);
        instance = render(<View />, { stdout: stream, exitOnCtrlC: false, patchConsole: false });
      },
      onStep: (record) => update(stepDone(state, record)),
      onEval: ({ metrics }) => update(evaluated(state, metrics)),
      onRollout: (batch, step, prompts) => update(rolloutDone(state, batch, step, (group) => prompts[group])),
      log: (line) => {
        if (instance === null) print(line);
        else update(logged(line.startsWith("checkpoint ") && state.status === "checkpoint asked" ? withStatus(state, "running") : state, line));
      },
    },
    close: () => {
      if (instance === null) return;
      update(withStatus(state, stop.signal.aborted ? "stopping" : "done"));
      instance.unmount();
      instance = null;
    },
  };
}
