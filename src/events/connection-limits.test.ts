import { ConnectionCounts, callAt } from "./connection-limits";

describe("ConnectionCounts", () => {
  it("holds each key to its cap and frees a place on release", () => {
    const counts = new ConnectionCounts(2);
    expect([counts.tryAcquire("a"), counts.tryAcquire("a"), counts.tryAcquire("a")]).toEqual([true, true, false]);
    expect(counts.tryAcquire("b")).toBe(true);
    counts.release("a");
    expect(counts.held("a")).toBe(1);
    expect(counts.tryAcquire("a")).toBe(true);
    counts.release("b");
    counts.release("b");
    expect(counts.held("b")).toBe(0);
  });
});

describe("callAt", () => {
  afterEach(() => jest.useRealTimers());

  it("calls at once for a time already past, later for one to come, and never once cancelled", () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const past = jest.fn();
    callAt(new Date(999_000), past);
    expect(past).toHaveBeenCalledTimes(1);

    const later = jest.fn();
    callAt(new Date(1_005_000), later);
    jest.advanceTimersByTime(4_999);
    expect(later).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(later).toHaveBeenCalledTimes(1);

    const cancelled = jest.fn();
    const cancel = callAt(new Date(1_010_000), cancelled);
    cancel();
    jest.advanceTimersByTime(10_000);
    expect(cancelled).not.toHaveBeenCalled();
  });

  it("re-arms past the longest timer Node holds", () => {
    jest.useFakeTimers({ now: 0 });
    const far = jest.fn();
    callAt(new Date(3_000_000_000), far);
    jest.advanceTimersByTime(2_147_483_647);
    expect(far).not.toHaveBeenCalled();
    jest.advanceTimersByTime(3_000_000_000 - 2_147_483_647);
    expect(far).toHaveBeenCalledTimes(1);
  });
});
