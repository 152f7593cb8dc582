// The native addons, loaded once and checked against the kernel table: an
// addon built from another table (an old build) is refused with the first
// kernel whose signature differs, instead of being called with arguments it
// reads differently. The CPU addon is the one built from native/ on install
// (build/Release), else a prebuilt one for this platform (prebuilds/), found by
// node-gyp-build, the loader prebuilt N-API packages share. Every numeric
// argument is a JS number; device addresses are below 2^53 and round-trip exactly.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../io/package-root.js";
import { kernelSignatures, type Kernels, type Only } from "./kernels.js";

/** An addon's kernels, and the signature list it was built from. */
export type Addon<B extends Only> = Kernels<B> & {
  /** The kernel table the addon was compiled from, one signature a line. */
  kernelSignatures(): string;
};

/** An addon's path under the package root (e.g. build/Release/astarpo.node); null when it is not built. */
export function addonPath(...parts: string[]): string | null {
  const path = join(packageRoot(), ...parts);
  return existsSync(path) ? path : null;
}

/** Loads an addon and checks that it implements this package's kernel table for `backend`. */
export function loadAddon<B extends Only>(path: string, backend: B): Addon<B> {
  const addon = createRequire(import.meta.url)(path) as Partial<Addon<B>>;
  const built = typeof addon.kernelSignatures === "function" ? addon.kernelSignatures().split("\n") : [];
  const expected = kernelSignatures(backend).split("\n");
  const differs = expected.findIndex((line, i) => built[i] !== line);
  if (differs >= 0 || built.length !== expected.length) {
    const at = differs >= 0 ? differs : expected.length;
    throw new Error(`astarpo: ${path} was built from another kernel table (the table has ${expected[at] ?? "no more kernels"}, the addon ${built[at] ?? "nothing"}); rebuild it with \`npm run ${backend === "cuda" ? "native:cuda" : "native"}\``);
  }
  return addon as Addon<B>;
}

function loadCpu(): Addon<"cpu"> {
  const nodeGypBuild = createRequire(import.meta.url)("node-gyp-build") as { path(dir: string): string };
  let path: string;
  try {
    path = nodeGypBuild.path(packageRoot());
  } catch {
    throw new Error(`astarpo: the native addon is not built for ${process.platform}-${process.arch} (no build/Release/astarpo.node, no matching prebuild); ` +
      "where npm skipped the package's install script, approve it (`npm install-scripts approve astarpo`), then run `npm rebuild astarpo` " +
      "(in a checkout: `npm run native`) on a machine with a C++17 compiler, make and Python 3");
  }
  return loadAddon(path, "cpu");
}

/** The CPU addon. */
export const native: Addon<"cpu"> = loadCpu();
