import { Deadline, EXPIRED } from "./deadline";

describe("Deadline", () => {
  it("settles raced work that never ends and runs cleanups once", async () => {
    const deadline = new Deadline(30);
    const cleanup = jest.fn();
    deadline.onFinish(cleanup);
    const started = performance.now();
    await expect(deadline.race(new Promise(() => {}))).resolves.toBe(EXPIRED);
    expect(performance.now() - started).toBeLessThan(200);
    expect(deadline.expired).toBe(true);
    expect(deadline.remainingMs()).toBe(0);
    deadline.finish();
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it("lets finished work through and cleans up when finished early", async () => {
    const deadline = new Deadline(10_000);
    const cleanup = jest.fn();
    deadline.onFinish(cleanup);
    await expect(deadline.race(Promise.resolve("answer"))).resolves.toBe("answer");
    deadline.finish();
    expect(cleanup).toHaveBeenCalledTimes(1);
    const late = jest.fn();
    deadline.onFinish(late);
    expect(late).toHaveBeenCalledTimes(1);
  });
});
