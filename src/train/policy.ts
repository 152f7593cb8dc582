// The policy a run trains, set up once for the whole run: the model that
// samples and learns, the frozen reference it is held to, what the optimizer
// trains, and how a checkpoint and the finished run save it.
// - Full fine-tuning trains every weight in f32; the reference is a frozen
//   copy of the starting weights, held only when training uses it.
// - LoRA trains adapters on the frozen base, held as referenceWeights says
//   (bf16 for a bf16 release); the reference is that base with the adapters
//   switched off, so no second copy of the weights exists. Checkpoints hold
//   the adapters alone, in PEFT's layout.
import { join } from "node:path";
import { addLora, frozenCopy, loadAdapters, saveAdapters, type DecoderModel, type WeightDtype } from "../models/index.js";
import { loadModel, resolveModel, saveModel } from "../pretrained/index.js";
import type { Parameter } from "../nn/index.js";
import type { Tokenizer } from "../tokenize/index.js";
import { checkpointAdapterDir, checkpointModelDir } from "./checkpoint.js";
import { backendFor } from "../tensor/index.js";
import { referenceWeightsOf, type RunConfig } from "./config.js";

export interface RunPolicy {
  /** The model that samples rollouts and trains. */
  readonly model: DecoderModel;
  readonly tokenizer: Tokenizer;
  /** The frozen reference (stage 1, rollouts' reference passes); null when the run holds none. */
  readonly reference: DecoderModel | null;
  /** How the reference holds its weights. */
  readonly referenceWeights: WeightDtype;
  /** What the optimizer trains, by name. */
  readonly trainable: Map<string, Parameter>;
  /** The reference for evaluation's KL: the one held, or a copy loaded for the evaluation alone (kept out of the steps' peak memory). */
  evalReference(): Promise<{ model: DecoderModel; release: () => void }>;
  /** Writes the policy into a checkpoint folder being made. */
  saveCheckpoint(checkpoint: string): Promise<void>;
  /** Where a checkpoint holds the policy: a Hugging Face folder, or with LoRA the adapters' folder. */
  savedIn(checkpoint: string): string;
  /** Saves the trained policy as runDir/model, a Hugging Face folder (with LoRA, the adapters folded in, and the adapters alone as runDir/adapter). */
  saveFinal(runDir: string): Promise<{ modelDir: string; adapterDir: string | null }>;
  dispose(): void;
}

/** The run's policy, fresh or restored from `resumeFrom`; `holdReference`: training uses the reference. */
export async function runPolicy(config: RunConfig, holdReference: boolean, resumeFrom: string | null): Promise<RunPolicy> {
  const policy = config.lora ? await loraPolicy(config, resumeFrom) : await fullPolicy(config, holdReference, resumeFrom);
  policy.model.gradientCheckpointing = config.gradientCheckpointing;
  return policy;
}

async function fullPolicy(config: RunConfig, holdReference: boolean, resumeFrom: string | null): Promise<RunPolicy> {
  const start = await resolveModel(config.model, { seed: config.seed, backend: backendFor(config.device) });
  const { tokenizer } = start;
  const referenceWeights = referenceWeightsOf(config, start.storedWeights);
  let model = start.model;
  let reference: DecoderModel | null = null;
  try {
    // The reference is the starting policy, also when the policy itself resumes from a checkpoint.
    if (holdReference) reference = frozenCopy(model, referenceWeights);
    if (resumeFrom !== null) {
      model.dispose();
      model = (await loadModel(checkpointModelDir(resumeFrom), { backend: model.backend })).model;
    }
  } catch (error) {
    model.dispose();
    reference?.dispose();
    throw error;
  }
  return {
    model, tokenizer, reference, referenceWeights,
    trainable: model.namedTrainableParameters(),
    evalReference: async () => {
      if (reference !== null) return { model: reference, release: () => {} };
      const copy = (await resolveModel(config.model, { seed: config.seed, weights: referenceWeights, backend: model.backend })).model.freeze();
      return { model: copy, release: () => copy.dispose() };
    },
    saveCheckpoint: (checkpoint) => saveModel(checkpointModelDir(checkpoint), model, tokenizer),
    savedIn: checkpointModelDir,
    saveFinal: async (runDir) => {
      const modelDir = join(runDir, "model");
      await saveModel(modelDir, model, tokenizer);
      return { modelDir, adapterDir: null };
    },
    dispose: () => {
      model.dispose();
      reference?.dispose();
    },
  };
}

async function loraPolicy(config: RunConfig, resumeFrom: string | null): Promise<RunPolicy> {
  const base = await resolveModel(config.model, { seed: config.seed, weights: config.referenceWeights, backend: backendFor(config.device) });
  const { model, tokenizer } = base;
  try {
    if (resumeFrom === null) {
      addLora(model, { r: config.loraR, alpha: config.loraAlpha, dropout: config.loraDropout, targetModules: config.loraTargetModules }, config.seed);
    } else {
      loadAdapters(checkpointAdapterDir(resumeFrom), model, config.seed);
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  const reference = model.withoutAdapters();
  const saveAdaptersIn = (dir: string) => saveAdapters(dir, model, { baseModel: config.model });
  return {
    model, tokenizer, reference,
    referenceWeights: referenceWeightsOf(config, base.storedWeights),
    trainable: model.namedTrainableParameters(),
    evalReference: async () => ({ model: reference, release: () => {} }),
    saveCheckpoint: (checkpoint) => saveAdaptersIn(checkpointAdapterDir(checkpoint)),
    savedIn: checkpointAdapterDir,
    saveFinal: async (runDir) => {
      const modelDir = join(runDir, "model"), adapterDir = join(runDir, "adapter");
      await saveAdaptersIn(adapterDir);
      // In f32 whatever the base holds: rounding the folded weights to bf16 could erase a small update.
      await saveModel(modelDir, model, tokenizer);
      return { modelDir, adapterDir };
    },
    dispose: () => model.dispose(),
  };
}
