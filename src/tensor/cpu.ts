// The CPU backend: the native addon's kernels, bound once.
import { bindBackend } from "./backend.js";
import { native } from "./native.js";

export const cpu = bindBackend("cpu", native);
