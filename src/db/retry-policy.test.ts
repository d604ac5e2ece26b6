import { ConflictPersisted, RetryPolicy, backoffMs, withRetries } from "./retry-policy";

const policy: RetryPolicy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 };
const conflict = Object.assign(new Error("deadlock"), { code: "ER_LOCK_DEADLOCK" });
const isConflict = (error: unknown) => error === conflict;

function recorder(random = () => 0.5) {
  const pauses: number[] = [];
  return { pauses, dependencies: { random, sleep: async (ms: number) => void pauses.push(ms) } };
}

describe("backoffMs", () => {
  it("doubles the cap each attempt up to the maximum, and jitters below it", () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffMs(policy, attempt, () => 0.999))).toEqual([9, 19, 39, 49, 49]);
    expect(backoffMs(policy, 3, () => 0)).toBe(0);
    expect(backoffMs(policy, 3, () => 0.5)).toBe(20);
  });
});

describe("withRetries", () => {
  it("returns the first success, pausing only between attempts", async () => {
    const { pauses, dependencies } = recorder();
    let runs = 0;
    const result = await withRetries(async () => (++runs < 3 ? Promise.reject(conflict) : "done"), isConflict, policy, dependencies);
    expect(result).toBe("done");
    expect(runs).toBe(3);
    expect(pauses).toEqual([5, 10]);
  });

  it("reports each retry, and not the attempt that gives up", async () => {
    const retried: number[] = [];
    const { dependencies } = recorder();
    await withRetries(async () => Promise.reject(conflict), isConflict, policy, { ...dependencies, onRetry: (attempt) => retried.push(attempt) }).catch(() => undefined);
    expect(retried).toEqual([1, 2, 3]);
  });

  it("passes any other failure through at once", async () => {
    const { pauses, dependencies } = recorder();
    let runs = 0;
    const other = new Error("syntax");
    await expect(withRetries(async () => Promise.reject((runs++, other)), isConflict, policy, dependencies)).rejects.toBe(other);
    expect(runs).toBe(1);
    expect(pauses).toEqual([]);
  });

  it("gives up after the last attempt with a retry hint and the conflict as its cause", async () => {
    const { pauses, dependencies } = recorder();
    let runs = 0;
    const failure = await withRetries(async () => Promise.reject((runs++, conflict)), isConflict, policy, dependencies).catch((e) => e);
    expect(failure).toBeInstanceOf(ConflictPersisted);
    expect(failure).toMatchObject({ attempts: 4, retryAfterSeconds: 1, cause: conflict });
    expect(runs).toBe(4);
    expect(pauses).toHaveLength(3);
  });
});
