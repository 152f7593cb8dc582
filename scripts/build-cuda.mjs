// Builds the CUDA addon (build-cuda/astarpo_cuda.node) from native/cuda/*.cu
// and the generated binding, when nvcc is present: `npm run native:cuda`.
// Without nvcc it says so and exits 0, so a machine without CUDA is never
// held up. Separate from node-gyp (the CPU addon) because nvcc takes minutes
// where the CPU build takes seconds, and most machines run no GPU.
//   ASTARPO_CUDA_ARCH   compute capabilities to build for, e.g. "80;90" (default 90: H100/H200)
//   NVCC                the compiler (default: nvcc on PATH, then $CUDA_HOME/bin, /usr/local/cuda/bin)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build-cuda");

function findNvcc() {
  const candidates = [process.env.NVCC, "nvcc", process.env.CUDA_HOME && join(process.env.CUDA_HOME, "bin", "nvcc"), "/usr/local/cuda/bin/nvcc"];
  for (const candidate of candidates.filter(Boolean)) {
    if (spawnSync(candidate, ["--version"], { stdio: "ignore" }).status === 0) return candidate;
  }
  return null;
}

/** N-API's headers: beside the running node (an official tarball, a system package), else node-gyp's download. */
function nodeHeaders() {
  const folders = [join(dirname(process.execPath), "..", "include", "node")];
  const cache = join(process.env.HOME ?? "", ".cache", "node-gyp", process.versions.node, "include", "node");
  folders.push(cache);
  const found = folders.find((f) => existsSync(join(f, "node_api.h")));
  if (!found) throw new Error(`build-cuda: node_api.h not found in ${folders.join(" or ")}; run \`npx node-gyp install\` first`);
  return found;
}

const nvcc = findNvcc();
if (!nvcc) {
  console.log("build-cuda: nvcc not found, the CUDA addon is not built (the CPU backend is unaffected)");
  process.exit(0);
}

const arches = (process.env.ASTARPO_CUDA_ARCH ?? "90").split(/[;,\s]+/).filter(Boolean);
const gencode = arches.flatMap((a) => ["-gencode", `arch=compute_${a},code=[sm_${a},compute_${a}]`]);
const common = ["-O3", "-std=c++17", "-Xcompiler", "-fPIC,-Wall", "-DASTARPO_CUDA", "-DNAPI_VERSION=8", "-DNODE_GYP_MODULE_NAME=astarpo_cuda",
  `-I${join(root, "native")}`, `-I${nodeHeaders()}`];
const headers = [...readdirSync(join(root, "native")).filter((f) => f.endsWith(".h")).map((f) => join(root, "native", f)),
  join(root, "native", "cuda", "runtime.cuh")];
const sources = [...readdirSync(join(root, "native", "cuda")).filter((f) => f.endsWith(".cu")).sort().map((f) => join(root, "native", "cuda", f)),
  join(root, "native", "binding.gen.cc")];

const mtime = (path) => statSync(path).mtimeMs;
const newestHeader = Math.max(...headers.map(mtime));
mkdirSync(out, { recursive: true });
const started = Date.now();
const objects = [];
for (const source of sources) {
  const object = join(out, source.split("/").pop().replace(/\.(cu|cc)$/, ".o"));
  objects.push(object);
  if (existsSync(object) && mtime(object) > Math.max(mtime(source), newestHeader)) continue;
  console.log(`build-cuda: ${source.slice(root.length + 1)}`);
  execFileSync(nvcc, [...common, ...(source.endsWith(".cu") ? gencode : []), "-c", source, "-o", object], { stdio: "inherit" });
}
const addon = join(out, "astarpo_cuda.node");
execFileSync(nvcc, ["-shared", ...gencode, "-o", addon, ...objects, "-ldl"], { stdio: "inherit" });
console.log(`build-cuda: ${addon.slice(root.length + 1)} for sm_${arches.join(", sm_")} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
