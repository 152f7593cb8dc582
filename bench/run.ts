// `npm run bench -- NAME [--json] [options]`: runs bench/NAME.ts.
// Every benchmark prints a table, or with --json one line per metric:
// {"bench", "metric", "value", "unit", "peer", "ratio", "config"}.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith(".ts") && f !== "run.ts" && f !== "report.ts").map((f) => f.slice(0, -3));
const name = process.argv[2];
if (!name || name.startsWith("-") || !existsSync(join(here, `${name}.ts`))) {
  console.error(`usage: npm run bench -- NAME [--json]\nbenchmarks: ${available.join(", ")}`);
  process.exit(2);
}
const mod = await import(join(here, `${name}.ts`));
await mod.run(process.argv.slice(3));
