// `astarpo serve --builtin` as a user runs it: it prints where it listens,
// answers curl-style requests, and on SIGTERM finishes what is in flight and
// exits cleanly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { CliError, main } from "../../src/cli/main.js";

const SERVE = `import { main } from "./src/cli/main.ts"; await main(["node", "astarpo", "serve", "--builtin", "--port", "0", "--api-key", "k"]);`;

test("serve --builtin listens, answers, and on SIGTERM lets a request in flight finish before it exits", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SERVE], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const found = /serving builtin:arithmetic at (\S+)/.exec(stderr);
      if (found) resolve(found[1]);
    });
    child.on("exit", () => reject(new Error(`serve exited early: ${stderr}`)));
  });
  const headers = { "content-type": "application/json", authorization: "Bearer k" };
  const models = await (await fetch(`${baseUrl}/models`, { headers })).json() as { data: Array<{ id: string }> };
  assert.deepEqual(models.data.map((m) => m.id), ["builtin:arithmetic"]);
  const inFlight = fetch(`${baseUrl}/completions`, { method: "POST", headers, body: JSON.stringify({ model: "builtin:arithmetic", prompt: "3+4*2 = ?", max_tokens: 200, ignore_eos: true }) });
  await new Promise((resolve) => setTimeout(resolve, 100));
  child.kill("SIGTERM");
  const answer = await (await inFlight).json() as { choices: Array<{ finish_reason: string }> };
  assert.equal(answer.choices[0].finish_reason, "length");
  assert.equal(await exited, 0);
  assert.match(stderr, /SIGTERM: finishing requests in flight/);
  assert.match(stderr, /stopped/);
});

test("serve names what is wrong with its command line (status 2) and a model it cannot load (status 1)", async () => {
  const run = async (...args: string[]) => {
    try {
      await main(["node", "astarpo", "serve", ...args], { stdout: () => {}, stderr: () => {} });
      return { code: 0, message: "" };
    } catch (error) {
      assert.ok(error instanceof CliError);
      return { code: error.exitCode, message: error.message };
    }
  };
  assert.deepEqual(await run(), { code: 2, message: "astarpo serve: give either --model DIR|builtin:NAME or --builtin (see astarpo serve --help)" });
  assert.equal((await run("--builtin", "--model", "builtin:tiny")).code, 2);
  assert.match((await run("--builtin", "--port", "x")).message, /--port x: expected a non-negative integer/);
  const missing = await run("--model", "no/such/folder");
  assert.equal(missing.code, 1);
  assert.match(missing.message, /--model no\/such\/folder: no such folder/);
});
