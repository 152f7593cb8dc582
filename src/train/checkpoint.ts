// Training checkpoints: everything a run needs to continue exactly where it
// stopped. A checkpoint is a folder
//   model/                 the policy as a Hugging Face folder (other tools load it as is),
//   or adapter/            with LoRA: the adapters alone, in PEFT's layout (the base is the run's model)
//   optimizer.safetensors  AdamW's moments under "<parameter>.exp_avg" / ".exp_avg_sq"
//   trainer_state.json     step counts, accumulated time, tokens and peak memory
//   algorithm/             the algorithm's own trainable state, when it has one (PPO's critic)
// written in full under a temporary name and renamed into place, so a crash
// leaves either the whole checkpoint or none. Randomness needs no state: every
// draw derives its seed from the run's seed and the step (seeds.ts).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readJsonObject, syncFolder, writeJsonAtomic } from "../io/index.js";
import { SafetensorsFile, writeSafetensors } from "../models/index.js";
import type { AlgorithmState } from "../algos/index.js";
import type { AdamW, Parameter } from "../nn/index.js";

/** What the loop carries from step to step besides weights and optimizer moments. */
export interface TrainerState {
  /** Rollout batches done. */
  step: number;
  /** Seconds spent so far, by phase (summed over every session of the run). */
  seconds: Record<string, number>;
  /** Tokens sampled so far (rollouts, not evaluation). */
  generatedTokens: number;
  /** Tokens stage 1 sampled for the training prompts (A*-PO). */
  stage1Tokens: number;
  /** The largest peak of live tensor memory of any step so far (evaluation not counted). */
  peakMemoryBytes: number;
}

/**
 * What training's cost is made of, in the order reports list it: each phase as the trainer's clock
 * names it (TrainerState.seconds) and as reports label it. Evaluation and checkpoints are left out.
 */
export const COST_PHASES = [
  { phase: "stage1", label: "stage 1" },
  { phase: "sample", label: "sample" },
  { phase: "reward", label: "reward" },
  { phase: "reference", label: "ref/critic" },
  { phase: "train", label: "train" },
] as const;

export type CostPhase = (typeof COST_PHASES)[number]["phase"];

/** Seconds of each cost phase, as a summary's `<phase>_s` fields (one per entry of COST_PHASES). */
export interface PhaseSeconds {
  /** Stage 1 (A*-PO): sampling the reference's responses to the training prompts and scoring them, for V-hat. */
  stage1_s: number;
  /** Sampling the policy's responses. */
  sample_s: number;
  /** Scoring the responses. */
  reward_s: number;
  /** The reference's pass over the responses, and the critic's (PPO). */
  reference_s: number;
  /** Forward, loss, backward and optimizer steps. */
  train_s: number;
}

// PhaseSeconds names exactly the fields COST_PHASES implies, which phaseSeconds() builds: this fails to compile otherwise.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AssertTrue<T extends true> = T;
type _PhaseFieldsMatch = AssertTrue<SameKeys<keyof PhaseSeconds, `${CostPhase}_s`>>;

/** Training's cost: stage 1 (A*-PO), sampling, reward, reference and critic passes, updates. */
export function trainingSeconds(seconds: Readonly<Record<string, number>>): number {
  return COST_PHASES.reduce((total, { phase }) => total + (seconds[phase] ?? 0), 0);
}

/** The `<phase>_s` fields of a run's clock. */
export function phaseSeconds(seconds: Readonly<Record<string, number>>): PhaseSeconds {
  return Object.fromEntries(COST_PHASES.map(({ phase }) => [`${phase}_s`, seconds[phase] ?? 0])) as unknown as PhaseSeconds;
}

/** What a checkpoint saves besides the trainer state. */
export interface CheckpointParts {
  /** Writes the policy into the checkpoint folder being made: at checkpointModelDir or checkpointAdapterDir of it. */
  savePolicy(checkpoint: string): Promise<void>;
  optimizer: AdamW;
  /** Every parameter the optimizer trains, by name (the policy's and the algorithm's). */
  names: ReadonlyMap<string, Parameter>;
  algorithm: AlgorithmState | null;
}

const STEP_PREFIX = "step-";
const MODEL = "model", ADAPTER = "adapter", OPTIMIZER = "optimizer.safetensors", STATE = "trainer_state.json", ALGORITHM = "algorithm";

export function checkpointName(step: number): string {
  return `${STEP_PREFIX}${String(step).padStart(6, "0")}`;
}

/** The checkpoints in `folder`, oldest first. */
export function listCheckpoints(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.startsWith(STEP_PREFIX) && /^\d+$/.test(name.slice(STEP_PREFIX.length)))
    .sort()
    .map((name) => join(folder, name));
}

/** Writes a checkpoint of `step` into `folder` and deletes all but the newest `keep`. Returns its path. */
export async function saveTrainingCheckpoint(folder: string, parts: CheckpointParts, state: TrainerState, keep: number): Promise<string> {
  mkdirSync(folder, { recursive: true });
  const final = join(folder, checkpointName(state.step));
  const staging = join(folder, `.${checkpointName(state.step)}.${process.pid}.tmp`);
  rmSync(staging, { recursive: true, force: true });
  try {
    await parts.savePolicy(staging);
    if (parts.algorithm !== null) {
      mkdirSync(join(staging, ALGORITHM));
      await parts.algorithm.save(join(staging, ALGORITHM));
    }
    const moments = parts.optimizer.stateDict(parts.names);
    await writeSafetensors(join(staging, OPTIMIZER), [...moments.tensors].map(([name, t]) => ({
      name, dtype: "F32" as const, shape: t.shape, values: () => t.toFloat32Array(),
    })), { metadata: { step: String(moments.step) } });
    await writeJsonAtomic(join(staging, STATE), state);
    rmSync(final, { recursive: true, force: true });
    renameSync(staging, final);
    syncFolder(folder);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  for (const old of listCheckpoints(folder).slice(0, -keep)) rmSync(old, { recursive: true, force: true });
  return final;
}

export function checkpointModelDir(checkpoint: string): string {
  return join(checkpoint, MODEL);
}

export function checkpointAdapterDir(checkpoint: string): string {
  return join(checkpoint, ADAPTER);
}

export function checkpointStateDir(checkpoint: string): string {
  return join(checkpoint, ALGORITHM);
}

/** The trainer state of a checkpoint, checked for completeness; errors name the file. */
export function readTrainerState(checkpoint: string): TrainerState {
  for (const part of [OPTIMIZER, STATE]) {
    if (!existsSync(join(checkpoint, part))) throw new Error(`${checkpoint}: not a complete checkpoint (no ${part})`);
  }
  if (!existsSync(join(checkpoint, MODEL)) && !existsSync(join(checkpoint, ADAPTER))) {
    throw new Error(`${checkpoint}: not a complete checkpoint (neither ${MODEL}/ nor ${ADAPTER}/)`);
  }
  const raw = readJsonObject(join(checkpoint, STATE));
  if (typeof raw.step !== "number" || typeof raw.generatedTokens !== "number" || typeof raw.stage1Tokens !== "number" || typeof raw.peakMemoryBytes !== "number" ||
    typeof raw.seconds !== "object" || raw.seconds === null) {
    throw new Error(`${join(checkpoint, STATE)}: expected step, seconds, generatedTokens, stage1Tokens and peakMemoryBytes`);
  }
  return raw as unknown as TrainerState;
}

/** Restores AdamW's moments and step from a checkpoint; `names` as given to saveTrainingCheckpoint. */
export function loadOptimizerState(checkpoint: string, optimizer: AdamW, names: ReadonlyMap<string, Parameter>): void {
  const file = SafetensorsFile.open(join(checkpoint, OPTIMIZER));
  try {
    const tensors = new Map([...file.tensors.keys()].map((name) => [name, file.read(name)]));
    const step = Number(file.metadata.step);
    if (!Number.isInteger(step)) throw new Error(`${join(checkpoint, OPTIMIZER)}: no optimizer step in its metadata`);
    optimizer.loadStateDict({ step, tensors }, names);
  } finally {
    file.close();
  }
}
