import type { Logger } from "pino";

export interface ShutdownStep {
  name: string;
  close: () => Promise<unknown>;
}

/**
 * Runs the steps in order; each starts when the one before has finished, so nothing is closed
 * under work that still uses it. Every call after the first shares the first one's promise.
 */
export function shutdownInOrder(steps: ShutdownStep[], logger: Logger): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => {
    closing ??= (async () => {
      const failures: unknown[] = [];
      for (const step of steps) {
        try {
          await step.close();
          logger.debug({ step: step.name }, "closed");
        } catch (error) {
          // The remaining steps still run: a failed Redis quit must not leave the database pool open.
          logger.error({ err: error, step: step.name }, "shutdown step failed");
          failures.push(error);
        }
      }
      if (failures.length) throw new AggregateError(failures, `shutdown: ${failures.length} step(s) failed`);
    })();
    return closing;
  };
}
