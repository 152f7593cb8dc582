// Loaded with `--import` (after tsx) when a test runs bin/astarpo.js: the bin
// imports the built CLI under dist/, and this points it at the sources under
// test instead, so that a stale build can neither pass nor fail the test.
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, next) {
  return next(specifier.replace(/^\.\.\/dist\/src\/(.*)\.js$/, "../src/$1.ts"), context);
}
