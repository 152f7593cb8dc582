// The installed package's own folder (where package.json and binding.gyp sit),
// found by walking up from this file: the same from src/ under tsx and from
// dist/ once built, and wherever npm installed the package.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = start;
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "binding.gyp"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`astarpo: cannot find the package root above ${start}`);
    dir = parent;
  }
  return dir;
}
