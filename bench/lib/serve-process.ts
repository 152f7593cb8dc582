// `astarpo serve` in a process of its own, as a deployment runs it: the
// sampler's requests and the server's decoding then have separate event loops
// (in one process, each request's client work waits for a decoding step).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface ServeProcess {
  baseUrl: string;
  stop(): Promise<void>;
}

/** Starts `astarpo serve` with `args` on a free loopback port; resolves once it listens. */
export async function startServeProcess(args: string[], timeoutMs = 60_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e",
    `const { main } = await import(${JSON.stringify(MAIN)}); await main([process.argv[0], "astarpo", ...process.argv.slice(1)]);`, "--", "serve", "--host", "127.0.0.1", "--port", "0", ...args],
  { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`astarpo serve did not start within ${timeoutMs / 1000} s: ${stderr}`)), timeoutMs);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving .* at (\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`astarpo serve exited with ${code} before listening: ${stderr}`));
    });
  });
  return {
    baseUrl,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}
