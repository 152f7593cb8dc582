// Every rollout a run samples, kept in <run>/rollouts.sqlite as training runs:
// one row per sampled completion with its prompt, reward, the reward's inputs,
// and what the algorithm fixed for it (V-hat, advantage, implicit reward).
//
// SQLite (through better-sqlite3) rather than Parquet: a step's rows are
// appended in one small transaction while the run goes on, a resumed run
// deletes the rows after its checkpoint (as metrics.jsonl drops its lines),
// and the questions asked of it (a step's best and worst, a prompt's history)
// are indexed queries. Parquet files are written whole and read whole; here
// they would have to be rewritten at every step or split into a file per
// step. Python's sqlite3, pandas, DuckDB and the sqlite3 shell open the file
// as it is, while the run writes it (write-ahead log).
import Database from "better-sqlite3";
import { sequenceKl, sequenceSum, type RolloutBatch, type RolloutSequence } from "../algos/index.js";
import { rewardColumns } from "../data/index.js";
import type { PromptItem } from "./prompts.js";

/** The rollout store's file name in a run folder. */
export const ROLLOUTS_FILE = "rollouts.sqlite";

/** One stored completion, as the table holds it. */
export interface RolloutRow {
  /** The run's name (its `name` option, default `<algo>-<task>`). */
  run: string;
  /** The rollout step that sampled it (1-based, as in metrics.jsonl). */
  step: number;
  /** The algorithm that trained the run. */
  algo: string;
  /** The prompt's stable id (dataset:row:hash). */
  prompt_id: string;
  /** Which prompt of the step's batch it answers, and which of that prompt's responses it is. */
  group_index: number;
  /** Which of the prompt's responses it is, from 0. */
  sample: number;
  /** The prompt as the model read it. */
  prompt: string;
  /** The sampled response. */
  completion: string;
  /** Tokens of the prompt. */
  prompt_tokens: number;
  /** Tokens of the response. */
  completion_tokens: number;
  /** "stop" when the response ended by itself, "length" when cut at the limit. */
  finish_reason: "stop" | "length";
  /** The reward training used (an undecided verdict counts 0). */
  reward: number;
  /** The reward function's own value; null where it could not decide. */
  reward_raw: number | null;
  /** JSON: the dataset columns the reward function was given beside the completion (the gold answer among them). */
  reward_inputs: string;
  /** A*-PO: the prompt's V-hat from stage 1; null for other algorithms. */
  v_hat: number | null;
  /** The advantage the algorithm fixed for the response, where it fixes one per response. */
  advantage: number | null;
  /** A*-PO: beta2 * log(pi / pi_ref) of the response as sampled; null otherwise. */
  implicit_reward: number | null;
  /** Mean log-prob per token under the policy that sampled it. */
  logprob_mean: number;
  /** sum_t log pi(y_t) - log pi_ref(y_t) of the sampled tokens, where the run has a reference pass. */
  kl: number | null;
  /** JSON: every per-response value the algorithm fixed for its loss, by name. */
  fixed: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rollouts (
  run TEXT NOT NULL,
  step INTEGER NOT NULL,
  algo TEXT NOT NULL,
  prompt_id TEXT NOT NULL,
  group_index INTEGER NOT NULL,
  sample INTEGER NOT NULL,
  prompt TEXT NOT NULL,
  completion TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  finish_reason TEXT NOT NULL CHECK (finish_reason IN ('stop', 'length')),
  reward REAL NOT NULL,
  reward_raw REAL,
  reward_inputs TEXT NOT NULL,
  v_hat REAL,
  advantage REAL,
  implicit_reward REAL,
  logprob_mean REAL NOT NULL,
  kl REAL,
  fixed TEXT NOT NULL,
  PRIMARY KEY (step, group_index, sample)
);
CREATE INDEX IF NOT EXISTS rollouts_by_prompt ON rollouts (prompt_id, step);
`;

const COLUMNS = ["run", "step", "algo", "prompt_id", "group_index", "sample", "prompt", "completion", "prompt_tokens", "completion_tokens",
  "finish_reason", "reward", "reward_raw", "reward_inputs", "v_hat", "advantage", "implicit_reward", "logprob_mean", "kl", "fixed"] as const;

/** What one response's row says beyond what the rollout holds as is. */
function rowOf(run: string, algo: string, step: number, s: RolloutSequence, sample: number, prompt: PromptItem): RolloutRow {
  return {
    run, step, algo,
    prompt_id: s.promptId,
    group_index: s.group,
    sample,
    prompt: prompt.text,
    completion: s.text,
    prompt_tokens: s.promptIds.length,
    completion_tokens: s.responseIds.length,
    finish_reason: s.finished ? "stop" : "length",
    reward: s.reward,
    reward_raw: s.rawReward,
    reward_inputs: JSON.stringify(rewardColumns(prompt.example)),
    v_hat: s.vHat,
    advantage: s.fixed.advantage ?? null,
    implicit_reward: s.fixed.implicitReward ?? null,
    logprob_mean: s.sampledLogprobs.length === 0 ? 0 : sequenceSum(s.sampledLogprobs) / s.sampledLogprobs.length,
    kl: sequenceKl(s),
    fixed: JSON.stringify(s.fixed),
  };
}

/** The writer a run holds open while it trains. */
export class RolloutStore {
  private readonly insert: Database.Statement;
  private readonly insertAll: (rows: readonly RolloutRow[]) => void;

  private constructor(private readonly db: Database.Database, private readonly run: string, private readonly algo: string) {
    this.insert = db.prepare(`INSERT INTO rollouts (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map((c) => `@${c}`).join(", ")})`);
    this.insertAll = db.transaction((rows: readonly RolloutRow[]) => { for (const row of rows) this.insert.run(row); });
  }

  /** Opens (or creates) the store at `path` for a run named `run` of `algo`. */
  static open(path: string, run: string, algo: string): RolloutStore {
    const db = new Database(path);
    // The write-ahead log lets other tools read while the run writes; NORMAL syncs at checkpoints of the log,
    // which loses at most the last steps' rows in a power cut (a resumed run samples them again).
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(SCHEMA);
    return new RolloutStore(db, run, algo);
  }

  /** Keeps only the rows of steps up to `step`: a resumed run samples the later ones again. */
  truncateAfter(step: number): void {
    this.db.prepare("DELETE FROM rollouts WHERE step > ?").run(step);
  }

  /** Appends one rollout batch of `step` (1-based); `prompts[g]` is the prompt of group g. */
  write(step: number, batch: RolloutBatch, prompts: readonly PromptItem[]): void {
    const seen = new Map<number, number>();
    const rows = batch.sequences.map((s) => {
      const sample = seen.get(s.group) ?? 0;
      seen.set(s.group, sample + 1);
      return rowOf(this.run, this.algo, step, s, sample, prompts[s.group]);
    });
    this.insertAll(rows);
  }

  close(): void {
    this.db.close();
  }
}

/** Which samples come first: the highest rewards (then advantages), the lowest, the newest, or in the order sampled. */
export const SAMPLE_ORDERS = ["best", "worst", "latest", "sampled"] as const;
/** One of SAMPLE_ORDERS. */
export type SampleOrder = (typeof SAMPLE_ORDERS)[number];

const ORDER_BY: Readonly<Record<SampleOrder, string>> = {
  best: "reward DESC, advantage IS NULL, advantage DESC, step DESC, group_index, sample",
  worst: "reward ASC, advantage IS NULL, advantage ASC, step DESC, group_index, sample",
  latest: "step DESC, group_index DESC, sample DESC",
  sampled: "step, group_index, sample",
};

/** Which stored samples a query returns, and in which order: by default the newest step's, best first, unfiltered. */
export interface RolloutQuery {
  /** One step, or every step ("all"); default the newest step stored. */
  step?: number | "all";
  /** One prompt's samples (its id, or a prefix of exactly one id). */
  promptId?: string;
  /** Rows with at least this reward. */
  minReward?: number;
  /** Rows with at most this reward. */
  maxReward?: number;
  /** Completion length in tokens, both ends included. */
  minTokens?: number;
  /** The longest completion, in tokens. */
  maxTokens?: number;
  /** Only responses that ended by themselves ("stop") or were cut at the limit ("length"). */
  finishReason?: "stop" | "length";
  /** The order of the rows (default "best"). */
  order?: SampleOrder;
  /** At most this many rows. */
  limit?: number;
}

/** A rollout store opened for reading; errors name the file. */
export class RolloutReader {
  private constructor(
    /** The store's file. */
    readonly path: string,
    private readonly db: Database.Database,
  ) {}

  /** Opens a store (a run's `rollouts.sqlite`) read-only; a run may be writing it meanwhile. */
  static open(path: string): RolloutReader {
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      db.prepare("SELECT 1 FROM rollouts LIMIT 1").all();
    } catch (error) {
      throw new Error(`${path}: not a rollout store (${(error as Error).message})`);
    }
    return new RolloutReader(path, db);
  }

  /** The first and last step stored, and the number of rows; null when empty. */
  steps(): {
    /** The first step stored. */
    first: number;
    /** The last step stored. */
    last: number;
    /** Rows stored, all steps together. */
    rows: number;
  } | null {
    const r = this.db.prepare("SELECT MIN(step) AS first, MAX(step) AS last, COUNT(*) AS rows FROM rollouts").get() as { first: number | null; last: number; rows: number };
    return r.first === null ? null : { first: r.first, last: r.last, rows: r.rows };
  }

  /** The one prompt id that `id` names exactly or begins; an error lists the candidates otherwise. */
  resolvePromptId(id: string): string {
    if (this.db.prepare("SELECT 1 FROM rollouts WHERE prompt_id = ? LIMIT 1").get(id) !== undefined) return id;
    const found = (this.db.prepare("SELECT DISTINCT prompt_id FROM rollouts WHERE substr(prompt_id, 1, ?) = ? LIMIT 6").all(id.length, id) as Array<{ prompt_id: string }>)
      .map((r) => r.prompt_id);
    if (found.length === 1) return found[0];
    if (found.length === 0) throw new Error(`${this.path}: no prompt id is or begins with "${id}"`);
    throw new Error(`${this.path}: "${id}" begins several prompt ids (${found.slice(0, 5).join(", ")}${found.length > 5 ? ", ..." : ""})`);
  }

  /** The rows that pass every filter of `query`, in its order. */
  query(query: RolloutQuery = {}): RolloutRow[] {
    const where: string[] = [];
    const args: Array<number | string> = [];
    const add = (clause: string, value: number | string | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      args.push(value);
    };
    const promptId = query.promptId === undefined ? undefined : this.resolvePromptId(query.promptId);
    const step = query.step ?? (promptId === undefined ? this.steps()?.last ?? 0 : "all");
    if (step !== "all") add("step = ?", step);
    add("prompt_id = ?", promptId);
    add("reward >= ?", query.minReward);
    add("reward <= ?", query.maxReward);
    add("completion_tokens >= ?", query.minTokens);
    add("completion_tokens <= ?", query.maxTokens);
    add("finish_reason = ?", query.finishReason);
    const sql = `SELECT * FROM rollouts${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${ORDER_BY[query.order ?? "best"]}` +
      (query.limit === undefined ? "" : " LIMIT ?");
    return this.db.prepare(sql).all(...args, ...(query.limit === undefined ? [] : [query.limit])) as RolloutRow[];
  }

  /** Per step: the samples, their mean reward, mean length and the share cut at the length limit. */
  stepSummary(step: number): {
    /** Samples stored for the step. */
    samples: number;
    /** Their mean reward. */
    reward: number;
    /** Their mean length in tokens. */
    tokens: number;
    /** The share cut at the length limit. */
    truncated: number;
  } {
    return this.db.prepare(`SELECT COUNT(*) AS samples, AVG(reward) AS reward, AVG(completion_tokens) AS tokens,
      AVG(finish_reason = 'length') AS truncated FROM rollouts WHERE step = ?`).get(step) as { samples: number; reward: number; tokens: number; truncated: number };
  }

  /** Closes the file. */
  close(): void {
    this.db.close();
  }
}
