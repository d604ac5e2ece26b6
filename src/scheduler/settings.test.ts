import { ConfigError, loadConfig } from "../shared/config";
import { leaseDuration, worstCaseBatchMs } from "./scheduler";

describe("scheduling settings", () => {
  it("default to the documented values", () => {
    const config = loadConfig({});
    expect(config.scheduler).toEqual({ enabled: true, intervalMs: 30_000, batchSize: 100 });
    expect(config.dns.concurrency).toBe(10);
    expect(config.domains).toMatchObject({
      pendingFirstCheckMs: 60_000,
      pendingBackoffMs: [1, 5, 15, 60, 360].map((minutes) => minutes * 60_000),
      cleanupAfterMs: 30 * 86_400_000,
    });
  });

  it("accept fractions, so a whole cycle can be watched in seconds", () => {
    const config = loadConfig({
      SCHEDULER_ENABLED: "false",
      SCHEDULER_INTERVAL_SECONDS: "0.5",
      PENDING_FIRST_CHECK_SECONDS: "2",
      PENDING_CHECK_BACKOFF_MINUTES: "0.05, 0.1",
      CLEANUP_AFTER_DAYS: "0.001",
      DNS_CONCURRENCY: "50",
      SCHEDULER_BATCH_SIZE: "500",
    });
    expect(config.scheduler).toEqual({ enabled: false, intervalMs: 500, batchSize: 500 });
    expect(config.domains).toMatchObject({ pendingFirstCheckMs: 2000, pendingBackoffMs: [3000, 6000], cleanupAfterMs: 86_400 });
    expect(config.dns.concurrency).toBe(50);
  });

  it.each([
    ["SCHEDULER_ENABLED", "maybe"],
    ["SCHEDULER_INTERVAL_SECONDS", "0"],
    ["PENDING_CHECK_BACKOFF_MINUTES", "1,,5"],
    ["DNS_CONCURRENCY", "0"],
    ["SCHEDULER_BATCH_SIZE", "1.5"],
    ["CLEANUP_AFTER_DAYS", "-1"],
  ])("refuse %s=%s naming the variable", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(key));
  });

  it("lease a batch for twice its worst case plus half a minute", () => {
    expect(worstCaseBatchMs(100, 10, 3000)).toBe(40_000);
    expect(leaseDuration(100, 10, 3000)).toBe(110_000);
  });
});
