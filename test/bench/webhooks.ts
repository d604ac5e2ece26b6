/**
 * How fast one instance delivers webhooks, and how long an entry waits between its commit
 * and its POST. `npm run bench:webhooks` (the MariaDB rows need the local MariaDB). The
 * receiver is a real HTTP server on loopback that checks every signature with the Standard
 * Webhooks reference library; nothing else is ever connected to. Figures, not assertions.
 */
import "reflect-metadata";
import { performance } from "node:perf_hooks";
import { DatabaseFlavor } from "../support/databases";
import { startTestApp } from "../support/test-app";
import { startWebhookReceiver } from "../support/webhook-receiver";
import { localIdOf } from "../../src/graphql/global-id";

const BURST = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 2000);
const TRICKLE = Number(process.env.BENCH_WEBHOOK_TRICKLE ?? 200);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run(db: DatabaseFlavor): Promise<void> {
  const receiver = await startWebhookReceiver();
  // The worker starts once the burst is written, so the figure is delivery alone.
  const t = await startTestApp({ db, env: { WEBHOOK_WORKER_ENABLED: "false", WEBHOOK_ALLOW_PRIVATE: "true", MAX_DOMAINS_PER_ACCOUNT: "100000", WEBHOOK_CONCURRENCY: process.env.WEBHOOK_CONCURRENCY ?? "10" } });
  try {
    const token = await t.token("bench-webhooks");
    const created = (
      await t.gql(`mutation($url: String!) { createWebhookEndpoint(input: { url: $url, actions: [TOKEN_REGENERATED] }) { secret } }`, { url: receiver.url }, { token })
    ).body.data.createWebhookEndpoint;
    receiver.secrets = [created.secret];
    const claimed = (await t.gql(`mutation { claimDomain(input: { name: "bench.example.com" }) { domain { id } } }`, {}, { token })).body.data.claimDomain.domain.id;
    const domainId = localIdOf(claimed, "Domain")!;
    const principal = { accountId: "bench-webhooks", userId: "bench-webhooks", email: null, isAdmin: false, via: "jwt" as const, expiresAt: null };
    const write = () => t.app.domains.regenerateToken({ principal, requestId: null }, domainId);

    // Throughput: BURST entries committed, then delivered as fast as the worker can.
    const writing = performance.now();
    for (let i = 0; i < BURST; i++) await write();
    const written = performance.now();
    receiver.received = [];
    const started = performance.now();
    t.app.deliveryWorker.start();
    await receiver.waitFor((r) => r.length >= BURST, 300_000);
    const finished = performance.now();
    const bad = receiver.received.filter((r) => r.verifiedWith !== 0).length;
    const seconds = (finished - started) / 1000;

    // Latency: one entry at a time, each waiting for its POST, so the delay is not queueing behind a burst.
    receiver.received = [];
    const delays: number[] = [];
    for (let i = 0; i < TRICKLE; i++) {
      await write();
      const [delivery] = await receiver.waitFor((r) => r.length >= 1, 10_000);
      // createdAt is taken inside the transaction, a few hundred microseconds before its COMMIT.
      delays.push(delivery.receivedAt - new Date(delivery.payload.timestamp).getTime());
      receiver.received = [];
    }
    delays.sort((a, b) => a - b);
    console.log(
      `${db.padEnd(8)} ${BURST} queued entries (written in ${((written - writing) / 1000).toFixed(1)} s) delivered in ${seconds.toFixed(1)} s` +
        ` = ${(BURST / seconds).toFixed(0)} events/s delivered (${bad} bad signatures)`,
    );
    console.log(
      `${db.padEnd(8)} commit → POST, one at a time (${TRICKLE}): p50 ${percentile(delays, 50)} ms, p95 ${percentile(delays, 95)} ms, max ${delays[delays.length - 1]} ms`,
    );
  } finally {
    await t.close();
    await receiver.stop();
  }
}

async function main(): Promise<void> {
  const flavors = (process.env.BENCH_DATABASES ?? "sqlite,mariadb").split(",") as DatabaseFlavor[];
  for (const db of flavors) await run(db);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
