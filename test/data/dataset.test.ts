import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  GSM8K_INSTRUCTION,
  MATH_INSTRUCTION,
  datasetName,
  exampleId,
  loadExamples,
  rewardColumns,
  type LoadOptions,
} from "../../src/data/index.js";
import type { ChatMessage } from "../../src/rewards/types.js";

const FIXTURES = join("test", "fixtures", "data");
const load = (name: string, options: LoadOptions): ReturnType<typeof loadExamples> => loadExamples(join(FIXTURES, name), options);

test("GSM8K export (JSONL and Parquet): question + the paper's instruction, the number after ####", async () => {
  for (const file of ["gsm8k.jsonl", "gsm8k.parquet"]) {
    const { examples, report } = await load(file, { task: "gsm8k" });
    assert.equal(report.shape, "gsm8k");
    assert.deepEqual([report.rows, report.examples, report.skipped.count, report.tooLong], [24, 24, 0, 0]);
    const first = examples[0];
    assert.equal(
      first.prompt,
      "Ana picked 40 apples on Monday and 8 times as many on Tuesday. How many apples did she pick in total?" + GSM8K_INSTRUCTION,
    );
    assert.equal(first.answer, "360");
    assert.match(first.solution ?? "", /#### 360$/);
    assert.equal(first.reward, "gsm8k");
    assert.equal(first.id, exampleId("gsm8k", 0, first.prompt as string));
    // Thousands separators in the reference answer are dropped.
    assert.equal(examples[2].answer, String(Number((examples[2].solution ?? "").split("#### ")[1].replace(/,/g, ""))));
    assert.match(examples[2].solution ?? "", /#### \d+,\d{3}$/);
  }
});

test("MATH export (JSONL, GZIP Parquet): the solution's last \\boxed{} is the answer", async () => {
  for (const file of ["math.jsonl", "math.parquet"]) {
    const { examples, report } = await load(file, { task: "math" });
    assert.equal(report.shape, "math");
    assert.equal(report.examples, 24);
    assert.equal(examples[0].prompt, "Compute $\\dfrac{5}{8} + \\dfrac{2}{9}$." + MATH_INSTRUCTION);
    assert.equal(examples[0].answer, "\\frac{61}{72}");
    assert.equal(examples[3].answer, examples[3].solution?.match(/\\boxed\{(\\\{.*\\\})\}/)?.[1]);
    assert.deepEqual(Object.keys(examples[0].columns).sort(), ["level", "solution", "type"]);
  }
});

test("MATH500 and AIME exports: the answer column wins; integer answers become text", async () => {
  const math500 = await load("math500.jsonl", { task: "math" });
  const math = await load("math.jsonl", { task: "math" });
  assert.deepEqual(math500.examples.map((e) => e.answer), math.examples.map((e) => e.answer));
  const aime = await load("aime.jsonl", { task: "math" });
  const rawAnswers = readFileSync(join(FIXTURES, "aime.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line).answer);
  assert.ok(rawAnswers.every((answer) => typeof answer === "number"), "the fixture stores numbers");
  assert.deepEqual(aime.examples.map((e) => e.answer), rawAnswers.map(String));
  assert.equal(aime.examples[0].columns.id, "2020-I-1");
});

test("TRL text prompts are used as they are; the solution column holds the answer", async () => {
  const { examples, report } = await load("trl-text.jsonl", { task: "math" });
  assert.equal(report.shape, "trl");
  assert.ok((examples[0].prompt as string).endsWith(MATH_INSTRUCTION));
  assert.ok(!(examples[0].prompt as string).endsWith(MATH_INSTRUCTION + MATH_INSTRUCTION));
  assert.equal(examples[0].answer, "\\frac{61}{72}");
  assert.equal(examples[0].columns.subject, "Prealgebra");
});

test("TRL chat prompts stay messages under the chat format; ids hash the rendered prompt", async () => {
  const renderChat = (messages: readonly ChatMessage[]): string => messages.map((m) => `<${m.role}>${m.content}`).join("") + "<assistant>";
  const { examples } = await load("trl-chat.jsonl", { task: "math", promptFormat: "chat", renderChat });
  assert.equal(examples.length, 24);
  const first = examples[0].prompt as ChatMessage[];
  assert.deepEqual(first.map((m) => m.role), ["system", "user"]);
  assert.equal(examples[0].answer, "\\frac{61}{72}");
  assert.equal(examples[0].id, exampleId("trl-chat", 0, renderChat(first)));
  // Without a template, a lone user message reads as plain text; a system message cannot.
  await assert.rejects(load("trl-chat.jsonl", { task: "math" }), /trl-chat\.jsonl:1, column "prompt": a chat prompt of 2 messages \(system, user\) needs a chat template/);
  const plain = await load("trl-chat.jsonl", { task: "math", onBadRow: "skip" });
  assert.equal(plain.report.skipped.count, 8);
  assert.equal(plain.examples[0].prompt, "What is the value of $x$ if $6x + 2 = 2$?");
});

test("the chat format wraps a built prompt in one user message", async () => {
  const { examples } = await load("gsm8k.jsonl", { task: "gsm8k", promptFormat: "chat", limit: 1 });
  const [message] = examples[0].prompt as ChatMessage[];
  assert.equal(message.role, "user");
  assert.ok(message.content.endsWith(GSM8K_INSTRUCTION));
});

test("verl rows (Parquet with nested columns, JSONL): prompt messages, reward_model.ground_truth, other columns passed on", async () => {
  const gsm8k = await load("verl-gsm8k.parquet", { task: "gsm8k" });
  assert.equal(gsm8k.report.shape, "verl");
  assert.deepEqual(gsm8k.report.mapping, { prompt: "prompt", answer: "reward_model.ground_truth" });
  const plain = await load("gsm8k.jsonl", { task: "gsm8k" });
  // The same problems as the GSM8K export, so the same prompts and answers.
  assert.deepEqual(gsm8k.examples.map((e) => [e.prompt, e.answer]), plain.examples.map((e) => [e.prompt, e.answer]));
  const columns = gsm8k.examples[5].columns;
  assert.equal(columns.data_source, "openai/gsm8k");
  assert.deepEqual((columns.extra_info as Record<string, unknown>).index, 5);
  assert.equal(columns.prompt, undefined);
  const math = await load("verl-math.jsonl", { task: "math" });
  assert.equal(math.examples[0].answer, "\\frac{61}{72}");
  assert.deepEqual(rewardColumns(math.examples[0]).answer, "\\frac{61}{72}");
});

test("prompts over the token limit are dropped and counted", async () => {
  const countTokens = (text: string): number => text.split(/\s+/).length;
  const all = await load("gsm8k.jsonl", { task: "gsm8k" });
  const lengths = all.examples.map((e) => countTokens(e.prompt as string));
  const limit = [...lengths].sort((a, b) => a - b)[12];
  const { examples, report } = await load("gsm8k.jsonl", { task: "gsm8k", countTokens, maxPromptTokens: limit });
  assert.equal(report.tooLong, lengths.filter((n) => n > limit).length);
  assert.ok(report.tooLong > 0);
  assert.equal(report.examples + report.tooLong, report.rows);
  assert.ok(examples.every((e) => countTokens(e.prompt as string) <= limit));
  await assert.rejects(load("gsm8k.jsonl", { task: "gsm8k", maxPromptTokens: 10 }), /maxPromptTokens needs countTokens/);
});

test("malformed rows stop the load, or are skipped and counted with their errors", async () => {
  await assert.rejects(load("gsm8k-bad.jsonl", { task: "gsm8k" }), /gsm8k-bad\.jsonl:2: not valid JSON/);
  const { examples, report } = await load("gsm8k-bad.jsonl", { task: "gsm8k", onBadRow: "skip" });
  assert.equal(report.rows, 9);
  assert.equal(examples.length, 3);
  assert.equal(report.skipped.count, 6);
  assert.equal(report.examples + report.skipped.count, report.rows);
  assert.deepEqual(report.skipped.firstErrors.map((e) => [e.where, e.column]), [
    [{ file: join(FIXTURES, "gsm8k-bad.jsonl"), row: 1, line: 2 }, undefined],
    [{ file: join(FIXTURES, "gsm8k-bad.jsonl"), row: 3, line: 5 }, "answer"],
    [{ file: join(FIXTURES, "gsm8k-bad.jsonl"), row: 4, line: 6 }, "answer"],
    [{ file: join(FIXTURES, "gsm8k-bad.jsonl"), row: 5, line: 7 }, undefined],
    [{ file: join(FIXTURES, "gsm8k-bad.jsonl"), row: 6, line: 8 }, "question"],
  ]);
  // Row numbers of the good rows count every row, good or bad.
  assert.deepEqual(examples.map((e) => e.source.row), [0, 2, 8]);
  // A limit counts malformed rows too, and what lies past it is not read, so cannot stop the load.
  const limited = await load("gsm8k-bad.jsonl", { task: "gsm8k", onBadRow: "skip", limit: 5 });
  assert.deepEqual([limited.report.rows, limited.report.examples, limited.report.skipped.count], [5, 2, 3]);
  const first = await load("gsm8k-bad.jsonl", { task: "gsm8k", limit: 1 });
  assert.deepEqual([first.report.rows, first.examples.length], [1, 1]);
});

test("a task that does not fit the file is a clear error; so is an unknown task", async () => {
  await assert.rejects(load("math.jsonl", { task: "gsm8k" }), /math\.jsonl:1, column "solution": neither a "#### n" line nor a number/);
  await assert.rejects(load("gsm8k.jsonl", { task: "arithmetic" }), /"arithmetic" is built in and reads no file/);
  await assert.rejects(load("gsm8k.jsonl", { task: "nope" }), /unknown task "nope"/);
});

test("ids are stable across loads and formats, and distinct per row", async () => {
  const a = await load("gsm8k.jsonl", { task: "gsm8k" });
  const b = await load("gsm8k.jsonl", { task: "gsm8k" });
  assert.deepEqual(a.examples.map((e) => e.id), b.examples.map((e) => e.id));
  assert.equal(new Set(a.examples.map((e) => e.id)).size, 24);
  assert.match(a.examples[7].id, /^gsm8k:7:[0-9a-f]{12}$/);
  const named = await load("gsm8k.jsonl", { task: "gsm8k", name: "gsm8k-train", limit: 3 });
  assert.equal(named.report.rows, 3);
  assert.ok(named.examples[0].id.startsWith("gsm8k-train:0:"));
  assert.equal(datasetName("data/train-00000-of-00001.parquet"), "train-00000-of-00001");
  assert.equal(datasetName("gsm8k.test.jsonl.gz"), "gsm8k.test");
});

test("rows made in code (array, generator, async iterable) read as a file's rows, with a column mapping; bad rows name themselves", async () => {
  const rows = [{ q: "What is 2+2?", gold: "#### 4", tag: "a" }, { q: "What is 3+3?", gold: "6", tag: "b" }];
  const fromArray = await loadExamples(rows, { task: "gsm8k", columns: { question: "q", answer: "gold" }, name: "mine" });
  assert.deepEqual(fromArray.examples.map((e) => [e.prompt, e.answer, e.columns.tag]), [
    ["What is 2+2?" + GSM8K_INSTRUCTION, "4", "a"], ["What is 3+3?" + GSM8K_INSTRUCTION, "6", "b"],
  ]);
  assert.equal(fromArray.examples[1].id, exampleId("mine", 1, "What is 3+3?" + GSM8K_INSTRUCTION));
  assert.deepEqual([fromArray.report.file, fromArray.report.shape, fromArray.report.rows], ["mine", "custom", 2]);

  function* generated() { yield* rows; }
  async function* fetched() { for (const row of rows) yield await Promise.resolve(row); }
  for (const source of [generated(), fetched()]) {
    const { examples } = await loadExamples(source, { task: "gsm8k", columns: { question: "q", answer: "gold" }, name: "mine" });
    assert.deepEqual(examples.map((e) => e.id), fromArray.examples.map((e) => e.id));
  }
  await assert.rejects(loadExamples([rows[0], { q: "?" }], { task: "gsm8k", columns: { question: "q", answer: "gold" } }),
    /^DataError: rows row 1, column "gold": is missing/);
  await assert.rejects(loadExamples([rows[0], "text"] as never, { task: "gsm8k", columns: { question: "q", answer: "gold" } }),
    /rows row 1: expected an object of columns, got "text"/);
  await assert.rejects(loadExamples(42 as never, { task: "gsm8k" }), /rows: expected an array, an iterable or an async iterable of rows, got number/);
});

test("the custom task takes prompts as they are, with or without an answer; rewards see the answer only when there is one", async () => {
  const { examples } = await loadExamples([{ prompt: "2+2 = ?", answer: 4 }, { prompt: "Write a haiku", style: "terse" }], { task: "custom" });
  assert.deepEqual(examples.map((e) => [e.prompt, e.answer, e.reward]), [["2+2 = ?", "4", null], ["Write a haiku", "", null]]);
  assert.deepEqual(examples.map(rewardColumns), [{ answer: "4" }, { style: "terse" }]);
  const questions = await loadExamples([{ q: "Name a prime" }], { task: "custom", columns: { question: "q" } });
  assert.equal(questions.examples[0].prompt, "Name a prime", "a question gets no instruction");
});
