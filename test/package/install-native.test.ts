// native/install.mjs, the package's install script, in a copy of the package
// without its sources (as npm unpacks it): a prebuilt addon that loads is
// used as it is, with no compiler anywhere; without one, a machine that lacks
// a compiler gets one message saying what it needs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The addon this checkout built (build/Release), standing in for a prebuild of the same sources. */
const builtAddon = (createRequire(import.meta.url)("node-gyp-build") as { path(dir: string): string }).path(resolve("."));

function unpackedPackage(withPrebuild: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-install-"));
  mkdirSync(join(dir, "native"));
  for (const file of ["package.json", "binding.gyp", join("native", "install.mjs")]) copyFileSync(file, join(dir, file));
  symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
  if (withPrebuild) {
    mkdirSync(join(dir, "prebuilds", `${process.platform}-${process.arch}`), { recursive: true });
    copyFileSync(builtAddon, join(dir, "prebuilds", `${process.platform}-${process.arch}`, "astarpo.glibc.node"));
  }
  return dir;
}

/** Runs the install script with no compiler to be found. */
function install(dir: string): { status: number | null; stderr: string } {
  const child = spawnSync(process.execPath, [join(dir, "native", "install.mjs")], {
    cwd: dir, encoding: "utf8", env: { ...process.env, CXX: "no-such-compiler", npm_config_build_from_source: "" },
  });
  return { status: child.status, stderr: child.stderr };
}

test("install: a prebuilt addon that loads here is used, and nothing is compiled", { skip: process.platform !== "linux" && "prebuilds are tagged glibc" }, () => {
  const dir = unpackedPackage(true);
  try {
    assert.deepEqual(install(dir), { status: 0, stderr: "" });
    assert.equal(existsSync(join(dir, "build")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("install: without a prebuild or a compiler, one message says what the machine needs", () => {
  const dir = unpackedPackage(false);
  try {
    const { status, stderr } = install(dir);
    assert.equal(status, 1);
    assert.match(stderr, /^astarpo: cannot build the native addon: no-such-compiler not found\.\n/);
    assert.match(stderr, /a machine needs: Linux on x86-64, Node\.js 20\+, a C\+\+17 compiler/);
    assert.match(stderr, /Then run `npm rebuild astarpo`\.\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
