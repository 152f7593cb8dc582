// The OpenAI-compatible server for a model, and a sampler that draws from any such server.
export { ApiError } from "./protocol.js";
export { createServer, SERVE_DEFAULTS, type ModelServer, type ServerOptions } from "./server.js";
export { Scheduler, type Job, type SchedulerOptions } from "./scheduler.js";
export { openaiSampler, serverUrl, OPENAI_SAMPLER_DEFAULTS, type OpenAISamplerOptions } from "./openai-sampler.js";
export { startServer, START_DEFAULTS, type RunningServer, type StartServerOptions } from "./start.js";
