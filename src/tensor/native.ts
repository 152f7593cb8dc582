// The native addon, loaded once. Every numeric argument is a JS number;
// device addresses are below 2^53 and round-trip exactly.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../io/package-root.js";

export type NativeFn = (...args: Array<number | ArrayBufferView | string>) => any;
export type NativeAddon = Record<string, NativeFn>;

function load(): NativeAddon {
  const root = packageRoot();
  const path = join(root, "build", "Release", "astarpo.node");
  if (!existsSync(path)) {
    throw new Error(`astarpo: the native addon is not built (${join("build", "Release", "astarpo.node")} is missing); run \`npm install\` or \`npx node-gyp rebuild\` in the package folder`);
  }
  return createRequire(import.meta.url)(path) as NativeAddon;
}

export const native: NativeAddon = load();
