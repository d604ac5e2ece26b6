/**
 * Deliveries survive what real processes go through: the receiver down, the server killed
 * with SIGKILL and started again, and two servers on one MariaDB sharing the work without
 * ever POSTing one delivery twice at the same time.
 */
import type { DataSource } from "typeorm";
import { openDataSource } from "../../src/db/data-source";
import { entities } from "../../src/app/entities";
import { mintToken } from "../../src/auth/dev-credentials";
import { ScratchDatabase, createScratchDatabase } from "../support/databases";
import { ListeningProcess, spawnInstance } from "../support/instance-process";
import { TEST_JWT_SECRET } from "../support/test-app";
import { WebhookReceiver, startWebhookReceiver } from "../support/webhook-receiver";


type Instance = ListeningProcess;

async function startInstance(databaseUrl: string, env: Record<string, string> = {}): Promise<Instance> {
  return spawnInstance(databaseUrl, {
    DNS_SERVERS: "127.0.0.1:9",
    SCHEDULER_ENABLED: "false",
    WEBHOOK_ALLOW_PRIVATE: "true",
    WEBHOOK_TIMEOUT_MS: "2000",
    RATE_LIMIT_MUTATIONS_PER_MINUTE: "100000",
    MAX_DOMAINS_PER_ACCOUNT: "1000",
    ...env,
  });
}

async function gql(instance: Instance, token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${instance.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as any;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function attemptsOf(instance: Instance): Promise<number> {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("dnsproof_webhook_attempts_total{"))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

async function eventually(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const CREATE = `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, actions: [DOMAIN_CLAIMED, TOKEN_REGENERATED] }) { secret userErrors { code } } }`;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id } } }`;
const REGENERATE = `mutation($id: ID!) { regenerateToken(input: { id: $id }) { domain { id } } }`;

describe("webhook deliveries across crashes and instances (MariaDB, real processes)", () => {
  let database: ScratchDatabase;
  let dataSource: DataSource;
  let receiver: WebhookReceiver;
  const instances: Instance[] = [];

  beforeAll(async () => {
    database = await createScratchDatabase("mariadb");
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    for (const instance of instances) instance.child.kill("SIGKILL");
    await Promise.all(instances.map((i) => i.exited));
    await dataSource?.destroy();
    await receiver?.stop().catch(() => undefined);
    await database?.drop();
  });

  it("delivers what was committed while the receiver was down, after a kill -9 and a restart", async () => {
    const token = await mintToken(TEST_JWT_SECRET, { sub: "crash-account" });
    // Retries far apart: the first attempt fails (receiver down) and nothing is leased when the process dies.
    const first = await startInstance(database.url, { WEBHOOK_RETRY_SECONDS: "3,3,3,3,3,3" });
    instances.push(first);
    dataSource = await openDataSource(database.url, { entities });
    const created = (await gql(first, token, CREATE, { url: receiver.url })).createWebhookEndpoint;
    receiver.secrets = [created.secret];
    await receiver.stop();

    await gql(first, token, CLAIM, { name: "crash-a.example.com" });
    await gql(first, token, CLAIM, { name: "crash-b.example.com" });
    await eventually(
      async () => Number((await dataSource.query(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE attempts >= 1 AND leaseOwner IS NULL AND status = 'PENDING'`))[0].n) === 2,
      10_000,
      "both deliveries tried once against the stopped receiver",
    );
    first.child.kill("SIGKILL");
    await first.exited;

    await receiver.start();
    const second = await startInstance(database.url, { WEBHOOK_RETRY_SECONDS: "0.5,0.5,0.5" });
    instances.push(second);
    const received = await receiver.waitFor((r) => r.length >= 2, 20_000);
    expect(received.map((r) => r.payload.type)).toEqual(["DOMAIN_CLAIMED", "DOMAIN_CLAIMED"]);
    expect(received.map((r) => r.verifiedWith)).toEqual([0, 0]);
    expect(received.map((r) => r.payload.data.domainName).sort()).toEqual(["crash-a.example.com", "crash-b.example.com"]);
    await eventually(
      async () => Number((await dataSource.query(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'DELIVERED'`))[0].n) === 2,
      10_000,
      "both deliveries DELIVERED",
    );
    second.child.kill("SIGKILL");
    await second.exited;
  }, 90_000);

  it("shares the work between two instances and never POSTs one delivery twice at the same time", async () => {
    const token = await mintToken(TEST_JWT_SECRET, { sub: "fleet-account" });
    const env = { WEBHOOK_RETRY_SECONDS: "0.2,0.2,0.2,0.2,0.2", WEBHOOK_CONCURRENCY: "4" };
    const [a, b] = await Promise.all([startInstance(database.url, env), startInstance(database.url, env)]);
    instances.push(a, b);
    const fresh = await startWebhookReceiver();
    try {
      const created = (await gql(a, token, CREATE, { url: fresh.url })).createWebhookEndpoint;
      fresh.secrets = [created.secret];
      // Slow answers make overlapping POSTs of one delivery visible, and a few 500s make retries race too.
      fresh.delayMs = 40;
      fresh.respond = (_d, index) => (index % 7 === 3 ? 500 : 200);
      const { domain } = (await gql(b, token, CLAIM, { name: "fleet.example.com" })).claimDomain;
      const writes = 60;
      await Promise.all(Array.from({ length: writes }, (_, i) => gql(i % 2 ? a : b, token, REGENERATE, { id: domain.id })));
      const expected = writes + 1;
      await fresh.waitFor((r) => new Set(r.filter((x) => x.status === 200).map((x) => x.id)).size >= expected, 60_000);
      expect(fresh.maxConcurrentPerId).toBe(1);
      expect(fresh.received.every((r) => r.verifiedWith === 0)).toBe(true);
      const delivered = fresh.received.filter((r) => r.status === 200);
      // A 2xx was recorded for each: nothing is sent again afterwards.
      expect(delivered.length).toBe(expected);
      // Each POST the receiver saw was made by exactly one of them (counted once its answer is in).
      let [attemptsA, attemptsB] = [0, 0];
      await eventually(async () => {
        [attemptsA, attemptsB] = await Promise.all([attemptsOf(a), attemptsOf(b)]);
        return attemptsA + attemptsB === fresh.received.length;
      }, 5_000, "attempt counters match the POSTs received");
      expect(attemptsA).toBeGreaterThan(0);
      expect(attemptsB).toBeGreaterThan(0);
    } finally {
      await fresh.stop();
    }
  }, 120_000);
});
