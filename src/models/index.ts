// Causal language models: config.json, safetensors, the Llama / Qwen2 / Qwen3
// decoder, its KV cache, LoRA adapters, the built-in configurations. Folders
// with their tokenizer (loading, saving, resolving a model spec) are
// src/pretrained's.
export * from "./config.js";
export * from "./rope-scaling.js";
export * from "./builtin-configs.js";
export { SafetensorsFile, DTYPE_BYTES, type SafetensorsDtype, type TensorInfo, type TensorStore } from "./safetensors.js";
export { writeSafetensors, type TensorToWrite, type TensorValues, type SafetensorsWriteOptions } from "./safetensors-writer.js";
export { openCheckpoint, saveCheckpoint, Checkpoint, type SaveCheckpointOptions } from "./safetensors-index.js";
export { DecoderModel, type AdapterState, type HiddenOptions, type ForwardOptions } from "./decoder.js";
export { KVCache } from "./kv-cache.js";
export { randomParameters, uninitialisedParameters, type ParameterFactory, type WeightDtype } from "./layers.js";
export { frozenCopy, trainableCopy } from "./frozen-copy.js";
export { adaptedProjections, addLora, mergeLora, mergedWeight, loraTargets, seedLoraDropout } from "./lora.js";
export { saveAdapters, loadAdapters, readAdapterConfig, toPeftConfig, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, type SaveAdaptersOptions } from "./peft.js";
export { modelFingerprint } from "./fingerprint.js";
