// Continuous batching for the server: the sequences of every request go to one
// generation engine, stepped once per turn of the event loop (setImmediate),
// so that between two steps the server reads new requests, answers health
// checks and writes streamed tokens. A request's sequences join the running
// batch at the next step and leave it when done. Work beyond the batch waits
// in a bounded queue; past the bound a request is refused at once (429).
import type { GenerationEngine, Sequence, SequenceRequest } from "../generate/index.js";
import { ApiError } from "./protocol.js";

/** The scheduler's limits. */
export interface SchedulerOptions {
  /** Most sequences decoded together. */
  maxBatch: number;
  /** Most sequences waiting for a row beyond the batch. */
  maxQueue: number;
  /** A request still unfinished after this many milliseconds fails (its sequences leave the batch). */
  requestTimeoutMs: number;
}

/** One request's sequences in the scheduler. */
export interface Job {
  /** Its sequences, each sampling one choice of the request. */
  readonly sequences: readonly Sequence[];
  /** Resolves once every sequence has finished; rejects with an ApiError when the job is cancelled, times out or fails. */
  readonly done: Promise<void>;
  /** Drops the job's sequences from the engine; `done` rejects with `reason`. */
  cancel(reason: ApiError): void;
}

interface JobState {
  sequences: Sequence[];
  onStep: (stepped: Sequence[]) => void;
  resolve: () => void;
  reject: (error: ApiError) => void;
  timer: NodeJS.Timeout;
}

/** Continuous batching: every request's sequences share one generation engine, stepped once per event-loop turn. */
export class Scheduler {
  private readonly owners = new Map<Sequence, JobState>();
  private readonly jobs = new Set<JobState>();
  private stepping = false;
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly engine: GenerationEngine,
    /** Its limits. */
    readonly options: SchedulerOptions,
  ) {}

  /** Sequences decoding and waiting. */
  get load(): {
    /** Sequences in the running batch. */
    live: number;
    /** Sequences queued for a row. */
    waiting: number;
    /** Requests in flight. */
    requests: number;
  } {
    return { live: this.engine.liveCount, waiting: this.engine.waitingCount, requests: this.jobs.size };
  }

  /**
   * Queues one request's sequences, all or none. `onStep` hears, after each step, which of them
   * sampled a token. Throws an ApiError when the queue is full (429) or the server is stopping (503).
   */
  submit(requests: SequenceRequest[], onStep: (stepped: Sequence[]) => void = () => {}): Job {
    if (this.draining) throw new ApiError(503, "the server is shutting down", "server_error", null, "shutting_down");
    const { maxBatch, maxQueue } = this.options;
    if (requests.length > maxBatch + maxQueue) {
      throw new ApiError(400, `the request asks for ${requests.length} sequences; this server holds at most ${maxBatch + maxQueue} (--max-batch + --max-queue)`, "invalid_request_error", "n");
    }
    const freeRows = Math.max(0, maxBatch - this.engine.liveCount);
    if (this.engine.waitingCount + requests.length - freeRows > maxQueue) {
      throw new ApiError(429, `the queue is full (${this.engine.waitingCount} sequences waiting); retry later`, "rate_limit_error", null, "queue_full", 1);
    }
    const sequences = requests.map((request) => this.engine.submit(request));
    let job!: JobState;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.end(job, new ApiError(504, `the request did not finish within ${this.options.requestTimeoutMs / 1000} s (--request-timeout)`, "server_error", null, "timeout")),
        this.options.requestTimeoutMs);
      job = { sequences, onStep, resolve, reject, timer };
    });
    // Whoever holds the job hears of a failure through `done`; this keeps an unheard one from being an unhandled rejection.
    done.catch(() => {});
    this.jobs.add(job);
    for (const s of sequences) this.owners.set(s, job);
    this.kick();
    return { sequences, done, cancel: (reason) => this.end(job, reason) };
  }

  /**
   * Refuses new requests and waits up to `graceMs` for those in flight to finish; any still
   * running then fail with a 503.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    if (this.jobs.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); }),
      ]);
      clearTimeout(timer);
    }
    this.failAll(new ApiError(503, "the server shut down before the request finished", "server_error", null, "shutting_down"));
  }

  private kick(): void {
    if (this.stepping) return;
    this.stepping = true;
    setImmediate(this.turn);
  }

  private readonly turn = (): void => {
    if (this.engine.idle) {
      this.stepping = false;
      return;
    }
    let stepped: Sequence[];
    try {
      stepped = this.engine.step();
    } catch (error) {
      this.stepping = false;
      this.failAll(new ApiError(500, `generation failed: ${(error as Error).message}`, "server_error"));
      return;
    }
    const byJob = new Map<JobState, Sequence[]>();
    for (const s of stepped) {
      const job = this.owners.get(s);
      if (job === undefined) continue;
      const mine = byJob.get(job);
      if (mine) mine.push(s);
      else byJob.set(job, [s]);
    }
    for (const [job, mine] of byJob) {
      try {
        job.onStep(mine);
      } catch (error) {
        this.end(job, new ApiError(500, `writing the response failed: ${(error as Error).message}`, "server_error"));
        continue;
      }
      if (job.sequences.every((s) => s.finish !== null)) this.end(job, null);
    }
    setImmediate(this.turn);
  };

  /** Settles a job: resolved when `failure` is null, else rejected and its sequences dropped. */
  private end(job: JobState, failure: ApiError | null): void {
    if (!this.jobs.delete(job)) return;
    clearTimeout(job.timer);
    for (const s of job.sequences) {
      this.owners.delete(s);
      if (failure !== null && s.finish === null) this.engine.cancel(s);
    }
    if (failure === null) job.resolve();
    else job.reject(failure);
    if (this.jobs.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private failAll(failure: ApiError): void {
    for (const job of [...this.jobs]) this.end(job, failure);
    this.engine.clear();
  }
}
