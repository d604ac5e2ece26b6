import { Foreground } from "./foreground";

describe("Foreground", () => {
  it("is idle at once with no request in hand", async () => {
    const foreground = new Foreground();
    expect(foreground.busy).toBe(false);
    await foreground.whenIdle(10_000);
  });

  it("lets a waiter go when the last request is answered", async () => {
    const foreground = new Foreground();
    foreground.enter();
    foreground.enter();
    let released = false;
    const waiting = foreground.whenIdle(10_000).then(() => (released = true));
    foreground.leave();
    await Promise.resolve();
    expect(released).toBe(false);
    foreground.leave();
    await waiting;
    expect(released).toBe(true);
    expect(foreground.busy).toBe(false);
  });

  it("lets a waiter go after its longest wait while requests keep coming", async () => {
    jest.useFakeTimers();
    try {
      const foreground = new Foreground();
      foreground.enter();
      let released = false;
      const waiting = foreground.whenIdle(50).then(() => (released = true));
      jest.advanceTimersByTime(49);
      await Promise.resolve();
      expect(released).toBe(false);
      jest.advanceTimersByTime(1);
      await waiting;
      expect(released).toBe(true);
      expect(foreground.busy).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
