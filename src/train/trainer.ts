// The training loop, the same for every algorithm:
//   rollout (sample, reward, reference pass) -> the algorithm fixes its
//   per-sequence targets -> for each mini-batch: forward and loss per
//   micro-batch, backward, clip, AdamW -> metrics -> evaluation -> checkpoint.
// The algorithm object says how many responses a prompt gets, which passes a
// rollout needs, and what the loss is; nothing here looks at its name.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { algorithm, type Algorithm, type AlgorithmState, type RolloutBatch, type RolloutSequence } from "../algos/index.js";
import { logprobTemperature } from "../generate/index.js";
import { writeJsonAtomic } from "../io/index.js";
import { AdamW } from "../nn/index.js";
import { memory, resetPeakMemory } from "../tensor/index.js";
import { checkpointStateDir, listCheckpoints, loadOptimizerState, readTrainerState, saveTrainingCheckpoint, trainingSeconds, type TrainerState } from "./checkpoint.js";
import { maxNewTokensOf, runDirOf, runName, type RunConfig } from "./config.js";
import { evaluate, type EvalResult } from "./evaluate.js";
import { MetricsLog, type EvalMetrics, type MetricsRecord, type StepMetrics } from "./metrics.js";
import { progressBar, short } from "./progress.js";
import { PromptOrder } from "./order.js";
import type { RunControls } from "./controls.js";
import { runPolicy } from "./policy.js";
import { loadPromptSets, type GivenData } from "./prompts.js";
import { collectRollouts } from "./rollout.js";
import { ROLLOUTS_FILE, RolloutStore } from "./rollout-store.js";
import { learningRate } from "./schedule.js";
import { heldOutValues, valuesForTraining } from "./stage-one.js";
import { TrainingError, updatePolicy } from "./update.js";
export { TrainingError } from "./update.js";

/** The run's reward and rows may come from code (GivenData) instead of from its config's task. */
export interface TrainOptions extends GivenData {
  /** Continue the run from its newest checkpoint (true) or from the given checkpoint folder. */
  resume?: boolean | string;
  /** Aborting stops the run after the current step, with a checkpoint. */
  signal?: AbortSignal;
  /** A live progress bar on stderr. Default false. */
  progress?: boolean;
  /** Human-readable events (setup, stage 1, evaluations, checkpoints). */
  log?: (line: string) => void;
  /** Each training step's metrics, as written to metrics.jsonl (1-based step). */
  onStep?: (metrics: StepMetrics) => void;
  /** Each held-out evaluation (step 0: the starting model, in a run from scratch), with its metrics as written to metrics.jsonl. */
  onEval?: (event: { step: number; result: EvalResult; metrics: EvalMetrics }) => void;
  /** Each checkpoint, once it is complete on disk. */
  onCheckpoint?: (event: { step: number; path: string }) => void;
  /** Each rollout batch once the algorithm has prepared it (1-based step), with the text of each group's prompt. */
  onRollout?: (batch: RolloutBatch, step: number, prompts: readonly string[]) => void;
  /** Once the steps begin (after stage 1): how many the run takes and the one it starts from. The caller shows them: no step bar is drawn. */
  onStart?: (info: { runDir: string; algo: string; step: number; totalSteps: number }) => void;
  /** Pause and save-now requests (the live view's keys), acted on between steps. */
  controls?: RunControls;
}

/** How a training run ended, and where it left what it made. */
export interface TrainResult {
  /** The run folder: config.json, metrics.jsonl, rollouts.sqlite, checkpoints/, model/. */
  runDir: string;
  /**
   * The trained policy as a Hugging Face folder (with LoRA, the adapters folded in); for a run
   * stopped early, where its newest checkpoint holds the policy (with LoRA, the adapters alone).
   */
  modelDir: string;
  /** With LoRA, the adapters of a finished run in PEFT's layout; null otherwise. */
  adapterDir: string | null;
  /** Steps taken, counting those of the run this one resumed. */
  steps: number;
  /** Evaluations by step (step 0: the starting model). */
  evals: Array<{
    /** The optimizer step after which it ran. */
    step: number;
    /** What it measured. */
    result: EvalResult;
  }>;
  /** True when stopped by the signal before the last step. */
  stopped: boolean;
  /** What the newest checkpoint records: the step, seconds per phase, tokens sampled, peak memory. */
  state: TrainerState;
}

/** Keys that may differ between a run's saved config and the config it is resumed with. */
const RESUMABLE_CHANGES = new Set(["maxSteps", "epochs", "evalEvery", "saveEvery", "saveTotalLimit", "reportTo", "gradientCheckpointing", "logCompletions"]);

function checkResumedConfig(saved: Record<string, unknown>, resolved: RunConfig, path: string): void {
  const config = resolved as Record<string, unknown>;
  for (const key of new Set([...Object.keys(saved), ...Object.keys(config)])) {
    if (RESUMABLE_CHANGES.has(key)) continue;
    if (JSON.stringify(saved[key]) !== JSON.stringify(config[key])) {
      throw new TrainingError(`${path}: the run was started with ${key} = ${JSON.stringify(saved[key])}, not ${JSON.stringify(config[key])}; ` +
        `a resumed run continues with its own settings (only ${[...RESUMABLE_CHANGES].join(", ")} may change)`);
    }
  }
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : sum(xs) / xs.length);

export async function train(config: RunConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? (() => {});
  const algo: Algorithm<any, any> = algorithm(config.algo);
  const runDir = runDirOf(config);
  const checkpoints = join(runDir, "checkpoints");
  const configPath = join(runDir, "config.json");

  // Where the run starts: fresh, or a checkpoint of this run.
  const resumeFrom = options.resume === undefined || options.resume === false ? null
    : typeof options.resume === "string" ? options.resume : listCheckpoints(checkpoints).at(-1) ?? null;
  if (options.resume === true && resumeFrom === null) throw new TrainingError(`${runDir}: no checkpoint to resume from`);
  // A folder whose run stopped before its first checkpoint has nothing to resume: it starts again (reusing its stage-1 cache).
  if (resumeFrom === null && listCheckpoints(checkpoints).length > 0) {
    throw new TrainingError(`${runDir} already holds a run; resume it with --resume, or choose another --name`);
  }
  if (resumeFrom !== null && existsSync(configPath)) checkResumedConfig(JSON.parse(readFileSync(configPath, "utf8")), config, configPath);
  mkdirSync(runDir, { recursive: true });
  await writeJsonAtomic(configPath, config);

  // The policy and its frozen reference (policy.ts: full fine-tuning or LoRA), and the algorithm's own state
  // (PPO's critic), made from the starting policy; a resumed run restores all three.
  const state: TrainerState = resumeFrom === null
    ? { step: 0, seconds: {}, generatedTokens: 0, stage1Tokens: 0, peakMemoryBytes: 0 } : readTrainerState(resumeFrom);
  const run = await runPolicy(config, algo.needsReference(config) || algo.needsValues, resumeFrom);
  const { model: policy, tokenizer, reference } = run;
  const algoState: AlgorithmState | null = algo.createState(policy, config, config.seed);
  if (resumeFrom !== null) algoState?.load(checkpointStateDir(resumeFrom));
  // One optimizer for everything that trains, its moments saved under the parameters' names.
  const trained = new Map([...run.trainable, ...(algoState?.namedParameters() ?? [])]);
  const adamw = new AdamW([...trained.values()], {
    lr: config.lr, betas: [config.adamBeta1, config.adamBeta2], eps: config.adamEpsilon, weightDecay: config.weightDecay,
  });
  if (resumeFrom !== null) {
    loadOptimizerState(resumeFrom, adamw, trained);
    log(`resuming ${runDir} from ${resumeFrom} (step ${state.step})`);
  }
  const clock = (phase: string, seconds: number) => { state.seconds[phase] = (state.seconds[phase] ?? 0) + seconds; };
  const evals: TrainResult["evals"] = [];
  /** The result; a finished run also saves its policy as runDir/model (and with LoRA runDir/adapter). */
  const finish = async (stopped: boolean): Promise<TrainResult> => {
    const saved = stopped ? { modelDir: run.savedIn(listCheckpoints(checkpoints).at(-1) ?? checkpoints), adapterDir: null } : await run.saveFinal(runDir);
    return { runDir, ...saved, steps: state.step, evals, stopped, state };
  };

  try {
    const sets = await loadPromptSets(config, tokenizer, options);
    let trainPrompts = sets.train;
    log(`${config.algo}: ${trainPrompts.length} training prompts, ${sets.eval.length} held out, model ${config.model}${config.lora ? ` with LoRA adapters (r ${config.loraR})` : ""}, reference in ${run.referenceWeights}`);

    // Stage 1 (A*-PO): V-hat for every training prompt, from the cache or sampled now.
    let vHat: Map<string, number> | null = null;
    if (algo.needsValues) {
      const values = await valuesForTraining(config, reference!, tokenizer, trainPrompts, sets.reward, join(runDir, "values"),
        { progress: options.progress, shouldStop: () => options.signal?.aborted ?? false, log });
      // Stage 1's whole cost, whenever it ran (here, or earlier by `astarpo values`).
      if (state.step === 0) {
        state.seconds.stage1 = values.cost.seconds;
        state.stage1Tokens = values.cost.tokens;
      }
      if (values.stopped) return await finish(true);
      vHat = values.vHat;
      trainPrompts = values.prompts;
    }
    // The held-out prompts' V-hat, for the evaluations' own metrics (A*-PO); its time is evaluation's.
    let heldOutVHat: Map<string, number> | null = null;
    if (algo.needsValues) {
      const t = performance.now();
      const held = await heldOutValues(config, reference!, tokenizer, sets.eval, sets.reward, join(runDir, "values-held-out"),
        { progress: options.progress, shouldStop: () => options.signal?.aborted ?? false, log });
      clock("eval", (performance.now() - t) / 1000);
      if (held.stopped) return await finish(true);
      heldOutVHat = held.vHat;
    }

    const G = algo.samplesPerPrompt(config);
    const totalSteps = config.maxSteps ?? Math.max(1, Math.floor((config.epochs * trainPrompts.length) / config.batchSize));
    const order = new PromptOrder(sets.train, config.batchSize, config.seed, trainPrompts === sets.train ? null : new Set(trainPrompts.map((p) => p.example.id)), state.step);
    const updatesPerStep = (config.batchSize / config.miniBatchSize) * algo.passes(config);
    const totalUpdates = totalSteps * updatesPerStep;
    const temperature = logprobTemperature(config);
    const metrics = new MetricsLog(join(runDir, "metrics.jsonl"), config.reportTo.includes("tensorboard") ? join(runDir, "tensorboard") : null);
    metrics.truncateAfter(resumeFrom === null ? -1 : state.step);
    // A store left by an earlier session is cut back to the checkpoint even when this one keeps no rollouts.
    const storePath = join(runDir, ROLLOUTS_FILE);
    const store = config.logCompletions || existsSync(storePath) ? RolloutStore.open(storePath, runName(config), config.algo) : null;
    store?.truncateAfter(state.step);
    const bar = progressBar("train {bar} {value}/{total} steps | reward {reward} | held-out {accuracy} | KL {kl} | ETA {eta_formatted}",
      (options.progress ?? false) && options.onStart === undefined);
    const say = (line: string) => bar.printAbove(() => log(line));

    const runEval = async (record: MetricsRecord): Promise<void> => {
      if (sets.eval.length === 0) return;
      const t = performance.now();
      const ref = config.evalKl ? await run.evalReference() : null;
      let result: EvalResult;
      try {
        result = await evaluate(policy, tokenizer, sets.eval, sets.reward, {
          maxNewTokens: maxNewTokensOf(config), batchSize: config.generationBatchSize, k: config.evalK, temperature: config.temperature,
          logprobsAtTemperature: config.logprobsAtTemperature, reference: ref?.model ?? null, seed: config.seed,
        });
      } finally {
        ref?.release();
      }
      clock("eval", (performance.now() - t) / 1000);
      evals.push({ step: state.step, result });
      const evalMetrics: EvalMetrics = {
        eval_accuracy: result.accuracy, eval_avg_at_k: result.avgAtK, eval_pass_at_k: result.passAtK, eval_kl: result.kl,
        eval_response_length: result.responseLength, eval_unparsed: result.unparsed,
        ...(result.sampled.length > 0 ? { eval_reward: mean(result.sampled.map((s) => s.reward)) } : {}),
        ...algo.evaluationMetrics?.(result.sampled, heldOutVHat, config),
      };
      Object.assign(record, evalMetrics);
      say(`step ${state.step}: held-out accuracy ${(100 * result.accuracy).toFixed(1)}%` +
        (result.passAtK !== null ? `, avg@${config.evalK} ${(100 * result.avgAtK!).toFixed(1)}%, pass@${config.evalK} ${(100 * result.passAtK).toFixed(1)}%` : "") +
        (result.kl !== null ? `, KL ${short(result.kl)}` : ""));
      options.onEval?.({ step: state.step, result, metrics: evalMetrics });
    };
    const checkpoint = async (): Promise<void> => {
      const t = performance.now();
      const path = await saveTrainingCheckpoint(checkpoints, { savePolicy: run.saveCheckpoint, optimizer: adamw, names: trained, algorithm: algoState }, state, config.saveTotalLimit);
      clock("checkpoint", (performance.now() - t) / 1000);
      say(`checkpoint ${path}`);
      options.onCheckpoint?.({ step: state.step, path });
    };
    options.onStart?.({ runDir, algo: config.algo, step: state.step, totalSteps });
    if (state.step === 0) {
      const record: MetricsRecord = { step: 0, cost_s: trainingSeconds(state.seconds) };
      await runEval(record);
      metrics.write(record);
    }

    bar.start(totalSteps, state.step, { reward: "-", accuracy: short(evals.at(-1)?.result.accuracy), kl: "-" });
    try {
      while (state.step < totalSteps) {
        while (options.controls !== undefined && await options.controls.next(options.signal) === "checkpoint") await checkpoint();
        if (options.signal?.aborted) {
          await checkpoint();
          return await finish(true);
        }
        const step = state.step;
        const stepStart = performance.now();
        resetPeakMemory();

        // Rollout.
        const prompts = order.next();
        const { batch, seconds } = await collectRollouts(policy, algo.needsReference(config) ? reference : null, tokenizer, sets.reward, prompts, vHat, step, {
          samplesPerPrompt: G, maxNewTokens: maxNewTokensOf(config), temperature: config.temperature, topP: config.topP,
          logprobsAtTemperature: config.logprobsAtTemperature, generationBatchSize: config.generationBatchSize,
          referenceBatchSize: config.microBatchSize, seed: config.seed,
        });
        // Preparing runs the algorithm's own passes over the rollout (PPO's critic): counted with the reference pass.
        const prepareStart = performance.now();
        const rolloutMetrics = algo.prepare(batch, config, algoState);
        seconds.reference += (performance.now() - prepareStart) / 1000;
        clock("sample", seconds.sample);
        clock("reward", seconds.reward);
        clock("reference", seconds.reference);
        options.onRollout?.(batch, step + 1, prompts.map((p) => p.text));
        const storeStart = performance.now();
        if (config.logCompletions) store?.write(step + 1, batch, prompts);
        const storeSeconds = (performance.now() - storeStart) / 1000;
        clock("rollouts", storeSeconds);

        const trainStart = performance.now();
        const update = updatePolicy(policy, tokenizer, adamw, algo, algoState, config, batch, step, temperature, (done) => learningRate(config, done, totalUpdates));
        const trainSeconds = (performance.now() - trainStart) / 1000;
        clock("train", trainSeconds);

        state.step++;
        const generated = sum(batch.sequences.map((s) => s.responseIds.length));
        state.generatedTokens += generated;
        const peakMemoryBytes = memory()[policy.backend.name].peak;
        const record: MetricsRecord = {
          step: state.step,
          epoch: order.epochs,
          ...rolloutSummary(batch.sequences, sets.rewardName),
          ...rolloutMetrics,
          ...update.metrics,
          grad_norm: update.gradNorm,
          lr: update.lr,
          logprob_diff_max: update.logprobDiffs.length > 0 ? Math.max(...update.logprobDiffs) : null,
          logprob_diff_mean: update.logprobDiffs.length > 0 ? mean(update.logprobDiffs) : null,
          sample_s: seconds.sample, reward_s: seconds.reward, reference_s: seconds.reference,
          train_s: trainSeconds,
          rollouts_s: storeSeconds,
          step_s: (performance.now() - stepStart) / 1000,
          tokens_per_s: generated / Math.max(seconds.sample, 1e-9),
          generated_tokens: state.generatedTokens,
          peak_memory_bytes: peakMemoryBytes,
        };
        state.peakMemoryBytes = Math.max(state.peakMemoryBytes, peakMemoryBytes);
        if (state.step === totalSteps || (config.evalEvery > 0 && state.step % config.evalEvery === 0)) await runEval(record);
        record.wall_s = sum(Object.values(state.seconds));
        record.cost_s = trainingSeconds(state.seconds);
        metrics.write(record);
        options.onStep?.(record as StepMetrics);
        // A run that holds no reference while training (GRPO with beta 0, REBEL) shows the held-out KL instead.
        const kl = (record.kl as number | null | undefined) ?? evals.at(-1)?.result.kl;
        bar.update(state.step, { reward: short(record.reward as number), accuracy: short(evals.at(-1)?.result.accuracy), kl: short(kl) });
        if (state.step === totalSteps || (config.saveEvery > 0 && state.step % config.saveEvery === 0)) await checkpoint();
      }
    } finally {
      bar.stop();
      metrics.close();
      store?.close();
    }
    return await finish(false);
  } finally {
    adamw.dispose();
    run.dispose();
    algoState?.dispose();
  }
}

/** Rollout statistics every algorithm reports, under TRL's names; `rewardName` names the reward function's own. */
function rolloutSummary(sequences: readonly RolloutSequence[], rewardName: string): MetricsRecord {
  const rewards = sequences.map((s) => s.reward);
  const m = mean(rewards);
  const std = (xs: readonly number[]) => {
    const mu = mean(xs);
    return Math.sqrt(mean(xs.map((x) => (x - mu) ** 2)));
  };
  const decided = sequences.flatMap((s) => (s.rawReward === null ? [] : [s.rawReward]));
  const lengths = sequences.map((s) => s.responseIds.length);
  const terminated = sequences.filter((s) => s.finished).map((s) => s.responseIds.length);
  const kls = sequences.filter((s) => s.refLogprobs !== null).map((s) => sum(Array.from(s.sampledLogprobs, (lp, t) => lp - s.refLogprobs![t])));
  return {
    reward: m,
    reward_std: std(rewards),
    undecided: sequences.length - decided.length,
    [`rewards/${rewardName}/mean`]: decided.length > 0 ? mean(decided) : null,
    [`rewards/${rewardName}/std`]: decided.length > 0 ? std(decided) : null,
    kl: kls.length > 0 ? mean(kls) : null,
    "completions/mean_length": mean(lengths),
    "completions/min_length": Math.min(...lengths),
    "completions/max_length": Math.max(...lengths),
    "completions/clipped_ratio": (sequences.length - terminated.length) / sequences.length,
    "completions/mean_terminated_length": terminated.length > 0 ? mean(terminated) : null,
    "completions/min_terminated_length": terminated.length > 0 ? Math.min(...terminated) : null,
    "completions/max_terminated_length": terminated.length > 0 ? Math.max(...terminated) : null,
  };
}
