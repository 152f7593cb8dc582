// Loaded with `--import` (after tsx) when a test runs bin/astarpo.js or an
// example: the bin imports the built CLI under dist/ and the examples import
// the package by its name, and this points both at the sources under test
// instead, so that a stale build can neither pass nor fail the test.
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

if (isMainThread) register(import.meta.url);

const ENTRY = new URL("../../src/index.ts", import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === "astarpo") return next(ENTRY, context);
  return next(specifier.replace(/^\.\.\/dist\/src\/(.*)\.js$/, "../src/$1.ts"), context);
}
