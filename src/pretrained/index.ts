// Models as users name them, with their tokenizers: a Hugging Face folder
// (config.json, safetensors, tokenizer files) read and written, the built-in
// and shipped models, and the one resolver of a model spec (`builtin:NAME` or
// a folder) that every command, the trainer and the server share.
export { loadModel, type LoadedModel, type LoadModelOptions } from "./load.js";
export { saveModel, type SaveModelOptions } from "./save.js";
export { createBuiltinModel } from "./builtin.js";
export { resolveModel, resolveTokenizer, isBuiltinSpec, BUILTIN_PREFIX, type ResolvedModel, type ResolveModelOptions } from "./resolve.js";
