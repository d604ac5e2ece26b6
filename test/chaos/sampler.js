/*
 * Preloaded into a soak instance (node --expose-gc -r test/chaos/sampler.js): every
 * SOAK_SAMPLE_MS it forces a full GC and appends one JSON line to SOAK_SAMPLES_FILE with the
 * RSS, the heap used right after that GC, the event-loop delay p99 since the previous sample and
 * the open file descriptors. It lives in the soak's process only: nothing of the server forces GCs.
 */
const fs = require("node:fs");
const { monitorEventLoopDelay } = require("node:perf_hooks");

const file = process.env.SOAK_SAMPLES_FILE;
const every = Number(process.env.SOAK_SAMPLE_MS || 10000);
if (file && typeof global.gc === "function") {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const timer = setInterval(() => {
    global.gc();
    const sample = {
      t: Date.now(),
      pid: process.pid,
      rssMb: process.memoryUsage().rss / 1048576,
      heapAfterGcMb: process.memoryUsage().heapUsed / 1048576,
      eventLoopP99Ms: delay.percentile(99) / 1e6,
      openFds: fs.readdirSync("/proc/self/fd").length,
    };
    delay.reset();
    fs.appendFileSync(file, JSON.stringify(sample) + "\n");
  }, every);
  timer.unref();
}
