// The CPU backend: the native addon's kernels, bound once.
import { bindBackend } from "./backend.js";
import { native } from "./native.js";

/** The CPU backend, the default device of every tensor. */
export const cpu = bindBackend("cpu", native);
