import { WorkerLoop, WorkerJob } from "./worker-loop";

/** A pass that waits until the test lets it finish. */
function gatedJob() {
  const gates: Array<() => void> = [];
  let passes = 0;
  const job: WorkerJob = {
    pass: () => {
      passes++;
      return new Promise<void>((resolve) => gates.push(resolve));
    },
  };
  return { job, gates, passes: () => passes, finish: () => gates.shift()?.() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("WorkerLoop", () => {
  it("runs a pass at start, and after the pause another", async () => {
    let passes = 0;
    const loop = new WorkerLoop({ pass: async () => void passes++ }, { intervalMs: 10, onError: () => undefined });
    loop.start();
    expect(passes).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(passes).toBeGreaterThan(1);
    await loop.stop();
  });

  it("does nothing on wake() until started", async () => {
    const { job, passes } = gatedJob();
    const loop = new WorkerLoop(job, { intervalMs: 60_000, onError: () => undefined });
    loop.wake();
    expect(passes()).toBe(0);
  });

  it("runs one more pass, not two at once, when woken during a pass", async () => {
    const gated = gatedJob();
    const loop = new WorkerLoop(gated.job, { intervalMs: 60_000, onError: () => undefined });
    loop.start();
    loop.wake();
    loop.wake();
    expect(gated.passes()).toBe(1);
    gated.finish();
    await tick();
    expect(gated.passes()).toBe(2);
    gated.finish();
    await tick();
    expect(gated.passes()).toBe(2);
    await loop.stop();
  });

  it("reports a failed pass and carries on after the pause", async () => {
    const errors: unknown[] = [];
    let passes = 0;
    const loop = new WorkerLoop(
      {
        pass: async () => {
          if (++passes === 1) throw new Error("database down");
        },
      },
      { intervalMs: 5, onError: (error) => errors.push(error) },
    );
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 40));
    await loop.stop();
    expect(errors).toEqual([new Error("database down")]);
    expect(passes).toBeGreaterThan(1);
  });

  it("stop() waits for the pass in hand, passes by hand and what the job left running, then takes no other", async () => {
    const gated = gatedJob();
    let settled = false;
    const loop = new WorkerLoop({ ...gated.job, settle: async () => void (settled = true) }, { intervalMs: 1, onError: () => undefined });
    loop.start();
    let byHandDone = false;
    void loop.track(new Promise<void>((resolve) => setTimeout(resolve, 20))).then(() => (byHandDone = true));
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    expect(loop.halting).toBe(true);
    await tick();
    expect(stopped).toBe(false);
    gated.finish();
    await stopping;
    expect([byHandDone, settled]).toEqual([true, true]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(gated.passes()).toBe(1);
  });

  it("starts again after a stop", async () => {
    let passes = 0;
    const loop = new WorkerLoop({ pass: async () => void passes++ }, { intervalMs: 60_000, onError: () => undefined });
    loop.start();
    await loop.stop();
    loop.start();
    expect(loop.halting).toBe(false);
    expect(passes).toBe(2);
    await loop.stop();
  });
});
