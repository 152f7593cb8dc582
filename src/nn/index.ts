export { Module, parameter, init, type Parameter } from "./module.js";
export { Linear, RMSNorm, Embedding } from "./layers.js";
export { AdamW, defaultAdamWConfig, type AdamWConfig, type AdamWState } from "./adamw.js";
export { clipGradNorm, type ClipResult } from "./clip.js";
