// Checkpoint save and load throughput, against the floor of moving the same
// bytes with no format and no conversion: one write + fsync of the file's
// bytes, and one read of them into a buffer allocated beforehand.
//   npm run bench -- checkpoint-io [--json] [--mib N]
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Report } from "./report.js";
import { writeFully } from "../src/io/index.js";
import { openCheckpoint, saveCheckpoint } from "../src/models/safetensors-index.js";
import type { SafetensorsDtype } from "../src/models/safetensors.js";

/** The best of `REPEATS` timings: the machine is shared, so the fastest run is the least disturbed one. */
const REPEATS = 3;

async function bestSeconds(body: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    const start = process.hrtime.bigint();
    await body();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return best;
}

export async function run(argv: string[]): Promise<void> {
  const json = argv.includes("--json");
  const mibIndex = argv.indexOf("--mib");
  const mib = mibIndex >= 0 ? Number(argv[mibIndex + 1]) : 128;
  if (!(mib > 0)) throw new Error(`--mib must be a positive number, got ${argv[mibIndex + 1]}`);
  const report = new Report("checkpoint-io", json);
  const dir = mkdtempSync(join(tmpdir(), "astarpo-bench-ckpt-"));
  try {
    // Model-like tensors of 4M float32 values (16 MiB) each, filled with varied values.
    const tensorElements = 4 << 20;
    const count = Math.max(1, Math.round((mib * 2 ** 20) / (tensorElements * 4)));
    const values = Float32Array.from({ length: tensorElements }, (_, i) => Math.sin(i) * 0.02);
    for (const dtype of ["F32", "BF16"] as SafetensorsDtype[]) {
      const config = `${count} x 4M values, ${dtype} on disk`;
      const tensors = Array.from({ length: count }, (_, i) => ({ name: `layers.${i}.weight`, dtype, shape: [2048, 2048], values: () => values }));
      const saveSeconds = await bestSeconds(() => saveCheckpoint(dir, tensors));
      const file = join(dir, "model.safetensors");
      const fileBytes = statSync(file).size;
      const raw = readFileSync(file);
      const rawWriteSeconds = await bestSeconds(() => {
        const fd = openSync(join(dir, "raw.bin"), "w");
        writeFully(fd, raw);
        fsyncSync(fd);
        closeSync(fd);
      });
      const rawReadSeconds = await bestSeconds(() => {
        const fd = openSync(file, "r");
        for (let done = 0; done < raw.byteLength; ) done += readSync(fd, raw, done, raw.byteLength - done, done);
        closeSync(fd);
      });
      const into = new Float32Array(tensorElements);
      const loadSeconds = await bestSeconds(() => {
        const checkpoint = openCheckpoint(dir);
        for (const name of checkpoint.tensors.keys()) checkpoint.read(name, into);
        checkpoint.close();
      });
      const gb = fileBytes / 1e9;
      report.add("save", gb / saveSeconds, "GB/s", gb / rawWriteSeconds, config);
      report.add("load to float32", gb / loadSeconds, "GB/s", gb / rawReadSeconds, config);
      rmSync(join(dir, "raw.bin"));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report.finish();
}
