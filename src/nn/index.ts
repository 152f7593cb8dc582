export { Module, parameter, init, type Parameter } from "./module.js";
export { Linear, RMSNorm, Embedding } from "./layers.js";
export { AdamW, defaultAdamWConfig, type AdamWConfig, type AdamWState } from "./adamw.js";
export { clipGradNorm, gradNormScale, type ClipResult } from "./clip.js";
export { LoraAdapter, loraForward, LORA_TARGET_MODULES, defaultLoraConfig, loraConfig, loraScaling, type LoraConfig, type LoraPass, type LoraTargetModule, type LoraAdapterShape } from "./lora.js";
