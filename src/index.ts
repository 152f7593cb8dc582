// The library's public surface: the entry points of each stage (src/api), the
// reward and data APIs they take, and the layers below for those who build on
// the core; each layer adds its exports here.
export { native, type Addon } from "./tensor/native.js";
export * from "./tensor/index.js";
export * from "./nn/index.js";
export * from "./tokenize/index.js";
export { loadDecoderConfig, parseDecoderConfig, toHfConfig, toHfGenerationConfig, parameterCount, DECODER_ARCHITECTURES } from "./models/config.js";
export type { DecoderConfig, DecoderArchitecture, TorchDtype } from "./models/config.js";
export { ropeInverseFrequencies, ropeDependsOnSequenceLength } from "./models/rope-scaling.js";
export type { RopeScaling, RopeConfig, RopeFrequencies } from "./models/rope-scaling.js";
export { builtinDecoderConfig, BUILTIN_MODEL_NAMES } from "./models/builtin-configs.js";
export type { BuiltinModelName, BuiltinVocabulary } from "./models/builtin-configs.js";
export { SafetensorsFile } from "./models/safetensors.js";
export type { SafetensorsDtype, TensorInfo, TensorStore } from "./models/safetensors.js";
export { writeSafetensors } from "./models/safetensors-writer.js";
export type { SafetensorsWriteOptions, TensorToWrite, TensorValues } from "./models/safetensors-writer.js";
export { openCheckpoint, saveCheckpoint, Checkpoint, type CheckpointTensorInfo, type SaveCheckpointOptions } from "./models/safetensors-index.js";
export type { Projection } from "./models/layers.js";
export type { JsonObject } from "./io/index.js";
export { DecoderModel, KVCache, randomParameters, uninitialisedParameters, frozenCopy, addLora, mergeLora, saveAdapters, loadAdapters, readAdapterConfig, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from "./models/index.js";
export { loadModel, saveModel, createBuiltinModel, resolveModel, isBuiltinSpec } from "./pretrained/index.js";
export type { AdapterState, SaveAdaptersOptions, HiddenOptions, ForwardOptions, ParameterFactory, WeightDtype } from "./models/index.js";
export type { LoadedModel, LoadModelOptions, SaveModelOptions, ResolvedModel, ResolveModelOptions } from "./pretrained/index.js";
export * from "./data/index.js";
export * from "./generate/index.js";
export * from "./rewards/index.js";
export * from "./serve/index.js";
export * from "./api/index.js";
