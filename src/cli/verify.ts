// `astarpo verify`: the reward verifier on one pair (prints true, false or
// null) or on a JSONL file of {gold, pred} rows (one JSON verdict per row and
// a summary; with `expected` in the rows, accuracy, precision and recall too,
// also per `group` when rows name one). Rows may override the command's
// options with `strictness`, `extract` and `finished`, and give the `prompt`
// the response answers; other fields are ignored.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { CliIO } from "./io.js";
import { UsageError } from "./options.js";
import {
  AUTO_EXTRACT, EXTRACT_STRATEGIES, verifyResponse, type ExtractStrategy, type ResponseOptions, type Strictness, type VerifyResult,
} from "../rewards/index.js";

const STRICTNESS: readonly Strictness[] = ["equivalent", "hendrycks", "gsm8k-paper"];

interface VerifyCommandOptions {
  gold?: string;
  pred?: string;
  cases?: string;
  strictness: string;
  extract?: string;
  relTol?: string;
  explain?: boolean;
}

/** How verdicts compare with the expected ones. */
export interface ExpectedSummary {
  rows: number;
  accuracy: number;
  false_positives: number;
  false_negatives: number;
  precision: number;
  recall: number;
}

export interface CaseSummary {
  rows: number;
  true: number;
  false: number;
  null: number;
  /** Present when some rows carry `expected`. */
  expected?: ExpectedSummary;
  /** The same for each `group` named by rows that carry `expected`. */
  groups?: Record<string, ExpectedSummary>;
}

/** Counts verdicts against expected ones; precision and recall are of the verdict `true`. */
class ExpectedTally {
  private rows = 0;
  private agreed = 0;
  private truePositives = 0;
  private falsePositives = 0;
  private falseNegatives = 0;

  add(verdict: boolean | null, expected: boolean | null): void {
    this.rows++;
    if (verdict === expected) this.agreed++;
    if (verdict === true) expected === true ? this.truePositives++ : this.falsePositives++;
    else if (expected === true) this.falseNegatives++;
  }

  summary(): ExpectedSummary {
    const { truePositives: tp, falsePositives: fp, falseNegatives: fn } = this;
    return {
      rows: this.rows,
      accuracy: this.agreed / this.rows,
      false_positives: fp,
      false_negatives: fn,
      precision: tp + fp === 0 ? 1 : tp / (tp + fp),
      recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    };
  }
}

function responseOptions(o: VerifyCommandOptions): ResponseOptions {
  if (!STRICTNESS.includes(o.strictness as Strictness)) {
    throw new UsageError(`--strictness ${o.strictness}: expected one of ${STRICTNESS.join(", ")}`);
  }
  const extract = (o.extract ?? AUTO_EXTRACT.join(",")).split(",").map((s) => s.trim());
  for (const s of extract) {
    if (!EXTRACT_STRATEGIES.includes(s as ExtractStrategy)) throw new UsageError(`--extract ${s}: expected some of ${EXTRACT_STRATEGIES.join(", ")}`);
  }
  const relTol = o.relTol === undefined ? undefined : Number(o.relTol);
  if (relTol !== undefined && !(relTol >= 0)) throw new UsageError(`--rel-tol ${o.relTol}: expected a number >= 0`);
  return { strictness: o.strictness as Strictness, extract: extract as ExtractStrategy[], relTol, requireFinished: false };
}

function rowOptions(row: Record<string, unknown>, options: ResponseOptions, where: string): ResponseOptions {
  const { strictness, extract, finished, prompt } = row;
  if (prompt !== undefined && typeof prompt !== "string") throw new Error(`${where}: "prompt" must be a string`);
  if (strictness === undefined && extract === undefined && finished === undefined) return prompt === undefined ? options : { ...options, prompt };
  if (strictness !== undefined && !STRICTNESS.includes(strictness as Strictness)) {
    throw new Error(`${where}: "strictness" must be one of ${STRICTNESS.join(", ")}`);
  }
  if (extract !== undefined && !(Array.isArray(extract) && extract.every((s) => EXTRACT_STRATEGIES.includes(s)))) {
    throw new Error(`${where}: "extract" must be a list of ${EXTRACT_STRATEGIES.join(", ")}`);
  }
  if (finished !== undefined && typeof finished !== "boolean") throw new Error(`${where}: "finished" must be true or false`);
  return {
    ...options,
    strictness: (strictness as Strictness | undefined) ?? options.strictness,
    extract: (extract as ExtractStrategy[] | undefined) ?? options.extract,
    finished: finished ?? true,
    requireFinished: true,
    ...(prompt === undefined ? {} : { prompt }),
  };
}

function rowJson(r: VerifyResult): Record<string, unknown> {
  const out: Record<string, unknown> = { verdict: r.verdict, reason: r.reason, gold_parsed: r.goldParsed, pred_extracted: r.predExtracted };
  if (r.detail !== undefined) out.detail = r.detail;
  return out;
}

function textField(row: Record<string, unknown>, key: string, where: string): string {
  const v = row[key];
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new Error(`${where}: ${v === undefined ? `missing key "${key}"` : `"${key}" must be a string or number`}`);
}

/** Verifies every row of a JSONL file, writing one JSON line per row, and returns the summary. */
export async function verifyCasesFile(path: string, options: ResponseOptions, write: (line: string) => void): Promise<CaseSummary> {
  const summary: CaseSummary = { rows: 0, true: 0, false: 0, null: 0 };
  const overall = new ExpectedTally();
  const groups = new Map<string, ExpectedTally>();
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    const where = `${path}:${lineNumber}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) throw new Error(`${where}: a row must be a JSON object`);
    const fields = row as Record<string, unknown>;
    const result = verifyResponse(textField(fields, "gold", where), textField(fields, "pred", where), rowOptions(fields, options, where));
    const out = rowJson(result);
    summary.rows++;
    summary[String(result.verdict) as "true" | "false" | "null"]++;
    if ("expected" in fields) {
      const expected = fields.expected;
      if (expected !== true && expected !== false && expected !== null) throw new Error(`${where}: "expected" must be true, false or null`);
      overall.add(result.verdict, expected);
      if (fields.group !== undefined) {
        if (typeof fields.group !== "string") throw new Error(`${where}: "group" must be a string`);
        if (!groups.has(fields.group)) groups.set(fields.group, new ExpectedTally());
        groups.get(fields.group)!.add(result.verdict, expected);
      }
      out.expected = expected;
      out.agrees = result.verdict === expected;
    }
    write(JSON.stringify(out));
  }
  const expected = overall.summary();
  if (expected.rows > 0) summary.expected = expected;
  if (groups.size > 0) summary.groups = Object.fromEntries([...groups].map(([name, tally]) => [name, tally.summary()]));
  return summary;
}

export function register(program: Command, io: CliIO): void {
  program
    .command("verify")
    .description("check answers as the rewards do: --gold G --pred P prints true, false or null; --cases FILE.jsonl checks {gold, pred} rows")
    .option("--gold <answer>", "the reference answer (or a solution with \\boxed{} or ####)")
    .option("--pred <response>", "the predicted answer or a whole response")
    .option("--cases <file>", "a JSONL file of rows with gold and pred (optional: expected true/false/null, group, prompt)")
    .option("--strictness <mode>", `${STRICTNESS.join(", ")}`, "equivalent")
    .option("--extract <strategies>", `comma-separated, tried in order: ${EXTRACT_STRATEGIES.join(", ")}`)
    .option("--rel-tol <x>", "relative tolerance of numeric comparison (default 1e-12)")
    .option("--explain", "with --gold/--pred: print the whole verdict as JSON")
    .action(async (o: VerifyCommandOptions) => {
      const options = responseOptions(o);
      if (o.cases !== undefined) {
        if (o.gold !== undefined || o.pred !== undefined) throw new UsageError("give either --cases or --gold and --pred, not both");
        const summary = await verifyCasesFile(o.cases, options, (line) => io.stdout(line + "\n"));
        io.stdout(JSON.stringify({ summary }) + "\n");
        return;
      }
      if (o.gold === undefined || o.pred === undefined) throw new UsageError("give --gold and --pred, or --cases FILE.jsonl");
      const result = verifyResponse(o.gold, o.pred, options);
      io.stdout((o.explain ? JSON.stringify(rowJson(result)) : String(result.verdict)) + "\n");
    });
}
