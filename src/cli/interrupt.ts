// Ctrl-C for the commands that run long (train, compare, values, quickstart):
// the first stops the run at its next safe point, where it saves what it has
// (a checkpoint, the finished prompts); the second quits at once.

export interface Interrupt {
  /** Aborted by the first Ctrl-C; also what a live view aborts to stop the run the same way. */
  controller: AbortController;
  signal: AbortSignal;
  /** Stops listening for Ctrl-C (call when the run is over). */
  release: () => void;
}

export function stopOnInterrupt(print: (line: string) => void): Interrupt {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    print("stopping after this step with a checkpoint (Ctrl-C again to quit now)");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  return { controller, signal: controller.signal, release: () => process.off("SIGINT", onSigint) };
}
