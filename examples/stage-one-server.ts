// A*-PO's stage 1 through an OpenAI-compatible server, then stage 2 here.
//
//   npx tsx examples/stage-one-server.ts           # a few minutes on two cores
//   npx tsx examples/stage-one-server.ts --quick   # the seconds-long run the test suite makes
//
// Stage 1 samples N responses per prompt from the frozen reference; a server
// fleet (vLLM, SGLang, `astarpo serve`) can do that while this process only
// scores. Here `astarpo serve`'s server runs in this process on a free port;
// point `server.baseUrl` at your fleet instead. The prompts come from an async
// generator, standing in for a database or an API; the custom task takes them
// as they are, and the reward written here scores them. The run goes to
// runs/example-stage-one-server/ (delete it to start again).
import { computeValues, rewardPerItem, startServer, train, type RunConfigInput } from "astarpo";

const quick = process.argv.includes("--quick");

/** Two-operation problems `a+b*c = ?` with their value, as rows with any columns you like. */
async function* problems(): AsyncGenerator<{ prompt: string; value: number }> {
  const ops = { "+": (x: number, y: number) => x + y, "*": (x: number, y: number) => x * y };
  for (let a = 1; a <= 9; a++) {
    for (let b = 1; b <= 9; b++) {
      for (const [first, second] of [["+", "*"], ["*", "+"], ["+", "+"]] as const) {
        const c = (a + 2 * b) % 9 + 1;
        const value = second === "*" ? ops[first](a, b * c) : ops[second](ops[first](a, b), c);
        yield { prompt: `${a}${first}${b}${second}${c} = ?\n`, value };
      }
    }
  }
}

/** 1 for the right `#### n` line, 0 for a wrong one, null for none. */
const reward = rewardPerItem((completion, columns) => {
  const answer = /#### (-?\d+)/.exec(completion.text)?.[1];
  return answer === undefined ? null : Number(answer) === columns.value ? 1 : 0;
});

const size = quick
  ? { trainSize: 12, evalSize: 4, numValueSamples: 2, batchSize: 4, miniBatchSize: 4, maxSteps: 1, evalEvery: 0 }
  : { trainSize: 160, evalSize: 40, numValueSamples: 8, batchSize: 32, miniBatchSize: 16, maxSteps: 15, evalEvery: 5 };
const config: RunConfigInput = {
  algo: "astar",
  model: "builtin:arithmetic",
  task: "custom",
  maxNewTokens: 64,
  lr: 1e-4,
  ...size,
  name: quick ? "example-stage-one-server-quick" : "example-stage-one-server",
};

const server = await startServer({ model: "builtin:arithmetic", port: 0 });
let valuesDir: string;
try {
  const values = await computeValues(config, { dataset: { train: problems() }, reward, server: { baseUrl: server.baseUrl, concurrency: 8 } });
  const s = values.summary;
  console.log(`stage 1 through ${server.baseUrl}: ${s.prompts} prompts x ${s.numSamples} samples, reference pass@1 ${s.pass_at_1.toFixed(3)}, pass@${s.numSamples} ${s.pass_at_n.toFixed(3)}`);
  valuesDir = values.dir;
} finally {
  await server.stop();
}

// A server's samples carry no fingerprint of the weights, so training is pointed at them (`values`) rather than finding them itself.
const result = await train({ ...config, values: valuesDir }, {
  dataset: { train: problems() },
  reward,
  onEval: ({ step, result: e }) => console.log(`held-out accuracy at step ${step}: ${e.accuracy.toFixed(3)}`),
});
console.log(`trained ${result.steps} steps; the model is in ${result.modelDir}`);
