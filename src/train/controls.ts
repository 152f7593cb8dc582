// Requests to a running training loop from outside it (the live view's keys,
// a library caller): pause, resume, and save a checkpoint now. The loop asks
// between steps, the only points where a checkpoint is whole and a pause
// holds no half-done step. Stopping is the AbortSignal's job (TrainOptions).

/** What the loop does next: save a checkpoint, or go on (take its step, or stop if its signal says so). */
export type ControlRequest = "checkpoint" | "go";

/** Pause, resume and save-now requests to a training run (TrainOptions.controls), acted on between steps. */
export class RunControls {
  private pausedNow = false;
  private checkpointAsked = false;
  private wake: (() => void) | null = null;
  private holdListeners = new Set<() => void>();

  /** Whether the run is asked to hold between steps. */
  get paused(): boolean {
    return this.pausedNow;
  }

  /**
   * Calls `listener` each time the run starts to hold between steps (a pause asked during a step
   * takes hold only when the step ends); returns a function that removes it.
   */
  onHold(listener: () => void): () => void {
    this.holdListeners.add(listener);
    return () => this.holdListeners.delete(listener);
  }

  /** Holds the run after its current step until resume (or its signal aborts it). */
  pause(): void {
    this.pausedNow = true;
  }

  /** Lets a paused run take its next step. */
  resume(): void {
    this.pausedNow = false;
    this.wakeUp();
  }

  /** Asks for a checkpoint at the next step boundary (at once while paused). */
  requestCheckpoint(): void {
    this.checkpointAsked = true;
    this.wakeUp();
  }

  /**
   * The loop's question between steps: first it lets the event loop run (keys
   * and screens are served there, since a step itself never yields), then it
   * answers "checkpoint" once per request, waits while paused, and says "go"
   * when the run may take its next step or `signal` asks it to stop.
   */
  async next(signal?: AbortSignal): Promise<ControlRequest> {
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      if (this.checkpointAsked) {
        this.checkpointAsked = false;
        return "checkpoint";
      }
      if (!this.pausedNow || signal?.aborted) return "go";
      for (const listener of this.holdListeners) listener();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      this.wake = null;
    }
  }

  private wakeUp(): void {
    this.wake?.();
  }
}
