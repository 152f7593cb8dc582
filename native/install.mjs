// Run by npm when the package is installed: use the prebuilt addon for this
// platform when the package carries one that loads here, else compile native/
// with node-gyp; when that cannot work, say what the machine needs instead of
// leaving only node-gyp's log. node-gyp-build's own install command does the
// first two but ends a failed build with that log alone, hence this script.
// A checkout (src/ present) always compiles: its sources may be newer than any prebuild.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);

const NEEDS = `astarpo's native addon (C++ kernels) is compiled on install where no prebuilt one fits (prebuilt: Linux x86-64 with glibc 2.29+ and GCC 12's libstdc++).
To compile it, a machine needs: Linux on x86-64, Node.js 20+, a C++17 compiler (g++ 9+ or clang 14+), make and Python 3.
  Debian/Ubuntu: apt-get install -y g++ make python3
  Fedora/RHEL:   dnf install -y gcc-c++ make python3
Then run \`npm rebuild astarpo\`.`;

function prebuiltLoads() {
  try {
    require(require("node-gyp-build").path(root));
    return true;
  } catch {
    return false;
  }
}

function found(command) {
  return spawnSync(command, ["--version"], { stdio: "ignore" }).error === undefined;
}

const fromSource = process.env.npm_config_build_from_source === "true" || existsSync(join(root, "src"));
if (!fromSource && prebuiltLoads()) process.exit(0);

const compiler = process.env.CXX ?? "c++";
const missing = [compiler, "make"].filter((command) => !found(command));
if (missing.length > 0) {
  console.error(`astarpo: cannot build the native addon: ${missing.join(" and ")} not found.\n${NEEDS}`);
  process.exit(1);
}
// npm hands its own node-gyp to install scripts; outside npm, the one on PATH.
const nodeGyp = process.env.npm_config_node_gyp;
const [command, args] = nodeGyp ? [process.execPath, [nodeGyp]] : ["node-gyp", []];
const build = spawnSync(command, [...args, "rebuild", "-j", "max"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
if (build.status !== 0) {
  console.error(`astarpo: building the native addon failed (node-gyp's log above says where).\n${NEEDS}`);
  process.exit(build.status ?? 1);
}
