// The package as a user gets it: `npm pack`, installed into a scratch project
// outside the repository, where a reward written in TypeScript trains a model
// (tsc resolves the package's types) and plain ESM imports it, and the
// `astarpo` command runs. Packing builds the prebuilt addon of this platform
// from the sources (prepack), so the install uses it and compiles nothing.
//
// Tests download nothing, so the scratch project installs offline: its lock
// file pins the versions this checkout's lock file holds (their tarballs are
// in npm's cache since `npm ci`), and the packed tarball. Offline,
// better-sqlite3 would compile SQLite for minutes, so its install script is
// left out and it gets this checkout's build of the same version.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface PackedFile { path: string }
interface Packed { filename: string; integrity: string; size: number; unpackedSize: number; files: PackedFile[] }
interface LockEntry { version: string; dev?: boolean; devOptional?: boolean; [key: string]: unknown }

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  version: string; license: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string>; files: string[];
};
const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, LockEntry> };

/** Development packages the scratch project uses to check the package's types. */
const SCRATCH_DEV = ["typescript", "@types/node", "undici-types"];

/** A lock file for the scratch project: the tarball, and every runtime package (and the type checker) at this checkout's versions. */
function scratchLock(packed: Packed, tarball: string, devDependencies: Record<string, string>): object {
  const packages: Record<string, object> = {
    "": { name: "scratch", dependencies: { astarpo: tarball }, devDependencies },
    "node_modules/astarpo": {
      version: pkg.version, resolved: tarball, integrity: packed.integrity, hasInstallScript: true,
      license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = path.replace(/^.*node_modules\//, "");
    const tooling = SCRATCH_DEV.includes(name);
    if (path === "" || (entry.dev && !tooling)) continue;
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    // The checkout's lock leaves registry URLs out; written here, npm takes the tarballs from its cache by their integrity.
    const resolved = `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
    packages[path] = { resolved, ...rest, ...(tooling ? { dev: true } : {}) };
  }
  return { name: "scratch", lockfileVersion: 3, requires: true, packages };
}

const TRAIN_TS = `import { rewardPerItem, train, type StepMetrics } from "astarpo";

const correct = rewardPerItem((completion, columns) => {
  const answer = /#### (-?\\d+)/.exec(completion.text)?.[1];
  return answer === undefined ? null : Number(answer) === Number(columns.answer) ? 1 : 0;
});
const steps: StepMetrics[] = [];
const result = await train(
  { model: "builtin:arithmetic", knobs: { digits: 1, steps: 2 }, trainSize: 8, evalSize: 4, numValueSamples: 2, batchSize: 4, miniBatchSize: 4, maxSteps: 1, lr: 1e-4 },
  { reward: correct, onStep: (m) => steps.push(m) },
);
console.log(JSON.stringify({ steps: result.steps, reward: steps[0].reward, model: result.modelDir }));
`;

const CHECK_MJS = `import * as astarpo from "astarpo";
import { readFileSync } from "node:fs";
const version = JSON.parse(readFileSync(new URL(import.meta.resolve("astarpo/package.json")), "utf8")).version;
let deep = "reachable";
try { await import("astarpo/dist/src/train/trainer.js"); } catch (error) { deep = error.code; }
const { sequences } = await astarpo.generateText({ model: "builtin:arithmetic", prompt: "3+4*2 = ?\\n", greedy: true, maxNewTokens: 32 });
console.log(JSON.stringify({ version, deep, verified: astarpo.verifyAnswer("1/2", "0.5").verdict, answer: sequences[0].text,
  entryPoints: ["train", "compare", "computeValues", "evaluate", "generateText", "startServer"].filter((name) => typeof astarpo[name] === "function") }));
`;

const TSCONFIG = { compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, types: ["node"], outDir: "out" }, include: ["train.ts"] };

test("npm pack installs into a project outside the repository: a TypeScript reward trains, ESM imports it, the command runs", { timeout: 600_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), "astarpo-pack-"));
  try {
    let clock = performance.now();
    const seconds: string[] = [];
    const lap = (name: string) => {
      seconds.push(`${name} ${((performance.now() - clock) / 1000).toFixed(1)} s`);
      clock = performance.now();
    };
    const packed = (JSON.parse(execFileSync("npm", ["pack", "--json", "--foreground-scripts=false", "--pack-destination", scratch], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as Packed[])[0];
    lap("npm pack");
    const files = packed.files.map((f) => f.path);
    const nativeSources = execFileSync("git", ["ls-files", "native"], { encoding: "utf8" }).trim().split("\n");
    for (const needed of ["dist/src/index.js", "dist/src/index.d.ts", "bin/astarpo.js", "binding.gyp", ...nativeSources,
      "models/arithmetic/model.safetensors", "models/arithmetic/tokenizer.json", "README.md", "package.json", `prebuilds/${process.platform}-${process.arch}/astarpo.glibc.node`]) {
      assert.ok(files.includes(needed), `the package lacks ${needed}`);
    }
    assert.deepEqual(files.filter((f) => !pkg.files.includes(f) && /^(src|test|examples|bench|scripts)\/|\.map$|tsbuildinfo/.test(f)), [],
      "sources, tests and build leftovers stay out (but for the scripts the package names)");

    const project = join(scratch, "project");
    execFileSync("mkdir", [project]);
    const tarball = `file:../${packed.filename}`;
    const devDependencies = Object.fromEntries(SCRATCH_DEV.slice(0, 2).map((name) => [name, lock.packages[`node_modules/${name}`].version]));
    writeFileSync(join(project, "package.json"), JSON.stringify({
      name: "scratch", private: true, type: "module", dependencies: { astarpo: tarball }, devDependencies, allowScripts: { astarpo: true },
    }, null, 2));
    writeFileSync(join(project, "package-lock.json"), JSON.stringify(scratchLock(packed, tarball, devDependencies), null, 2));
    const install = spawnSync("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: project, encoding: "utf8" });
    assert.equal(install.status, 0, `npm ci failed:\n${install.stdout}\n${install.stderr}`);
    const sqlite = join("node_modules", "better-sqlite3", "build", "Release");
    mkdirSync(join(project, sqlite), { recursive: true });
    copyFileSync(join(sqlite, "better_sqlite3.node"), join(project, sqlite, "better_sqlite3.node"));
    const build = spawnSync("npm", ["rebuild", "astarpo", "--offline"], { cwd: project, encoding: "utf8", env: { ...process.env, CXX: "no-such-compiler" } });
    assert.equal(build.status, 0, `astarpo's install script failed:\n${build.stdout}\n${build.stderr}`);
    assert.equal(existsSync(join(project, "node_modules", "astarpo", "build")), false, "the prebuilt addon is used: nothing is compiled");

    lap("npm ci");
    writeFileSync(join(project, "train.ts"), TRAIN_TS);
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(TSCONFIG));
    const tsc = spawnSync(process.execPath, [join("node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd: project, encoding: "utf8" });
    assert.equal(tsc.status, 0, `tsc in the scratch project:\n${tsc.stdout}${tsc.stderr}`);
    lap("tsc");
    const trained = JSON.parse(execFileSync(process.execPath, [join("out", "train.js")], { cwd: project, encoding: "utf8" })) as { steps: number; reward: number; model: string };
    assert.equal(trained.steps, 1);
    assert.ok(trained.reward >= 0 && trained.reward <= 1);

    lap("train");
    writeFileSync(join(project, "check.mjs"), CHECK_MJS);
    const checked = JSON.parse(execFileSync(process.execPath, ["check.mjs"], { cwd: project, encoding: "utf8" }));
    assert.deepEqual(checked, {
      version: pkg.version, deep: "ERR_PACKAGE_PATH_NOT_EXPORTED", verified: true, answer: checked.answer,
      entryPoints: ["train", "compare", "computeValues", "evaluate", "generateText", "startServer"],
    });
    assert.match(checked.answer, /#### 11$/);
    const version = spawnSync(join(project, "node_modules", ".bin", "astarpo"), ["--version"], { encoding: "utf8" });
    assert.equal(version.stdout, `${pkg.version}\n`);
    lap("ESM and the command");
    console.log(`# package ${(packed.size / 1e6).toFixed(2)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked; ${seconds.join(", ")}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
