// Runs a check on every kernel path this CPU can run, fastest first, and
// restores the fastest afterwards (also when the check fails).
import { native } from "../../src/tensor/native.js";

export function eachIsa(body: (isa: string) => void): void {
  const best = native.isaName() as string;
  const all = ["avx512", "avx2", "portable"];
  try {
    for (const isa of all.slice(all.indexOf(best))) {
      native.setIsa(isa);
      body(isa);
    }
  } finally {
    native.setIsa(best);
  }
}
