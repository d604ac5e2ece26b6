import { Registry } from "prom-client";
import { resilienceMetrics } from "../shared/resilience.metrics";
import { watchEventLoop } from "./liveness";

it("remembers a block of the event loop longer than the threshold, and not a shorter one", async () => {
  const watch = watchEventLoop(150, resilienceMetrics(new Registry()));
  const block = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  try {
    await new Promise((resolve) => setTimeout(resolve, 250));
    block(100);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(watch.recentBlockMs()).toBeNull();
    block(400);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(watch.recentBlockMs()).toBeGreaterThan(150);
  } finally {
    watch.stop();
  }
});
