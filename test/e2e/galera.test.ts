/**
 * Instances on the three nodes of a real MariaDB Galera cluster on loopback: row locks are local
 * to a node there and GET_LOCK is granted on two nodes at once, so each invariant below holds only
 * because the code writes the rows it serializes on (the account's version, the migrations lock
 * row) and retries the transactions that lose certification.
 */
import { ManualClock } from "../../src/shared/clock";
import { Domain } from "../../src/domains/domain.entity";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { migrations } from "../../migrations";
import { GaleraCluster, startGalera } from "../support/galera";
import { startWebhookReceiver } from "../support/webhook-receiver";
import { TestApp, startTestApp } from "../support/test-app";

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { created domain { id txtRecord { value } } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified check { outcome } userErrors { code } } }`;
const CREATE_KEY = `mutation($name: String!) { createApiKey(input: { name: $name }) { apiKey { id } userErrors { code } } }`;
const CREATE_ENDPOINT = `mutation($url: String!) { createWebhookEndpoint(input: { url: $url }) { webhookEndpoint { id } userErrors { code } } }`;
const CREATE_CLAIM_HOOK = `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, actions: [DOMAIN_CLAIMED] }) { secret userErrors { code } } }`;
const tokenOf = (claim: any) => claim.domain.txtRecord.value.replace("dnsproof-verification=", "");

jest.setTimeout(180_000);

describe("instances on three nodes of a Galera cluster", () => {
  let cluster: GaleraCluster;
  let apps: TestApp[] = [];
  const clock = new ManualClock();
  const verifier = new ScriptedVerifier(clock);
  /** The request `i` goes to node i mod 3's instance. */
  const onNode = (i: number) => apps[i % apps.length];
  const count = async (sql: string, parameters: unknown[]) => Number((await apps[0].app.dataSource.query(sql, parameters))[0].n);
  const retriesCounted = async () => {
    const texts = await Promise.all(apps.map(async (t) => (await fetch(`${t.url}/metrics`)).text()));
    return texts.reduce((sum, text) => sum + Number(/^dnsproof_transaction_retries_total (\S+)$/m.exec(text)?.[1] ?? NaN), 0);
  };

  beforeAll(async () => {
    cluster = await startGalera();
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    await cluster?.stop();
  });

  it("three instances started together on an empty database migrate once", async () => {
    const urls = await cluster.createDatabase();
    // createApp migrates before it listens; all three start at once, one per node.
    apps = await Promise.all(
      urls.map((url) =>
        startTestApp({
          database: { url, drop: async () => undefined },
          env: { WEBHOOK_ALLOW_PRIVATE: "true", MAX_API_KEYS_PER_ACCOUNT: "4", MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT: "3" },
          overrides: { clock, verifier },
        }),
      ),
    );
    const applied: { name: string }[] = await apps[2].app.dataSource.query("SELECT name FROM migrations ORDER BY id");
    expect(applied.map((m) => m.name)).toEqual(migrations.map((m) => m.name));
  });

  it("concurrent claims of one account over three nodes stop at the limit", async () => {
    const token = await apps[0].token("galera-claims");
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => onNode(i).gql(CLAIM, { name: `g${i}.example.com` }, { token })));
    expect(results.flatMap((r) => r.body.errors ?? [])).toEqual([]);
    const payloads = results.map((r) => r.body.data.claimDomain);
    expect(payloads.filter((p) => p.created)).toHaveLength(5);
    expect(payloads.filter((p) => p.userErrors[0]?.code === "DOMAIN_LIMIT_REACHED")).toHaveLength(25);
    expect(await count("SELECT COUNT(*) AS n FROM domains WHERE accountId = ?", ["galera-claims"])).toBe(5);
    // Each of them wrote the account row on its own node: certification let one win per round, and /metrics counts the rest.
    expect(await retriesCounted()).toBeGreaterThan(0);
  });

  it("concurrent API keys of one account over three nodes stop at the limit", async () => {
    const token = await apps[0].token("galera-keys");
    const results = await Promise.all(Array.from({ length: 18 }, (_, i) => onNode(i).gql(CREATE_KEY, { name: `k${i}` }, { token })));
    expect(results.flatMap((r) => r.body.errors ?? [])).toEqual([]);
    expect(results.filter((r) => r.body.data.createApiKey.apiKey)).toHaveLength(4);
    expect(await count("SELECT COUNT(*) AS n FROM api_keys WHERE accountId = ?", ["galera-keys"])).toBe(4);
  });

  it("concurrent webhook endpoints of one account over three nodes stop at the limit", async () => {
    const token = await apps[0].token("galera-hooks");
    const results = await Promise.all(
      Array.from({ length: 18 }, (_, i) => onNode(i).gql(CREATE_ENDPOINT, { url: `http://127.0.0.1:9/hook/${i}` }, { token })),
    );
    expect(results.flatMap((r) => r.body.errors ?? [])).toEqual([]);
    expect(results.filter((r) => r.body.data.createWebhookEndpoint.webhookEndpoint)).toHaveLength(3);
    expect(await count("SELECT COUNT(*) AS n FROM webhook_endpoints WHERE accountId = ?", ["galera-hooks"])).toBe(3);
  });

  it("three accounts verifying one name at once, each on its own node, leave one owner", async () => {
    const name = "contested.galera.example.com";
    const tokens = await Promise.all(["owner-a", "owner-b", "owner-c"].map((sub) => apps[0].token(sub)));
    const claims = await Promise.all(tokens.map(async (token, i) => (await onNode(i).gql(CLAIM, { name }, { token })).body.data.claimDomain));
    verifier.publish(name, claims.map(tokenOf));
    const results = await Promise.all(claims.map((claim, i) => onNode(i).gql(VERIFY, { id: claim.domain.id }, { token: tokens[i] })));
    expect(results.flatMap((r) => r.body.errors ?? [])).toEqual([]);
    expect(results.filter((r) => r.body.data.verifyDomain.verified)).toHaveLength(1);
    expect(await apps[1].app.dataSource.manager.countBy(Domain, { name, status: "VERIFIED" as any })).toBe(1);
  });

  it("due claims are checked once by three schedulers", async () => {
    const names: string[] = [];
    for (let a = 0; a < 10; a++) {
      const token = await apps[0].token(`galera-due-${a}`);
      for (let d = 0; d < 3; d++) {
        const name = `due-${a}-${d}.galera.example.com`;
        names.push(name);
        expect((await onNode(a + d).gql(CLAIM, { name }, { token })).body.data.claimDomain.created).toBe(true);
      }
    }
    // A new claim is first checked 60 s after it was made.
    clock.advance(61_000);
    const before = verifier.requests.length;
    await Promise.all(apps.map((t) => t.app.scheduler.runOnce()));
    const checks = new Map<string, number>();
    for (const request of verifier.requests.slice(before)) checks.set(request.name, (checks.get(request.name) ?? 0) + 1);
    expect(names.map((name) => checks.get(name) ?? 0)).toEqual(names.map(() => 1));
  });

  it("each webhook delivery is POSTed once by three workers", async () => {
    const receiver = await startWebhookReceiver();
    try {
      const accounts = 5;
      const claims = await Promise.all(
        Array.from({ length: accounts }, async (_, a) => {
          const token = await apps[0].token(`galera-deliveries-${a}`);
          const hook = (await onNode(a).gql(CREATE_CLAIM_HOOK, { url: `${receiver.url}/${a}` }, { token })).body.data.createWebhookEndpoint;
          expect(hook.userErrors).toEqual([]);
          receiver.secrets.push(hook.secret);
          const made = await Promise.all(Array.from({ length: 5 }, (_, d) => onNode(a + d).gql(CLAIM, { name: `hook-${a}-${d}.galera.example.com` }, { token })));
          return made.filter((r) => r.body.data.claimDomain.created).length;
        }),
      );
      const expected = claims.reduce((sum, n) => sum + n, 0);
      expect(expected).toBe(25);
      await receiver.waitFor((received) => received.length >= expected);
      // Long enough for a second worker's duplicate to arrive, were there one.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(receiver.received.length).toBe(expected);
      expect(new Set(receiver.received.map((r) => r.id)).size).toBe(expected);
    } finally {
      await receiver.stop();
    }
  });

  it("a node killed with SIGKILL under load costs no acknowledged write, and its instance recovers after the node rejoins", async () => {
    const KILLED = 2;
    const victim = apps[KILLED - 1];
    const database = new URL(victim.database.url).pathname.slice(1);
    const claimsOn = (node: number) => cluster.sql(node, `SELECT name FROM ${database}.domains WHERE name LIKE 'kill-%'`).trim().split("\n");
    const outcomes: ClaimOutcome[] = [];
    let killedAt = Infinity;
    // Four claimers per instance, each with accounts of its own taking five names apiece (the limit).
    const claimers = Array.from({ length: 12 }, async (_, w) => {
      const instance = w % 3;
      for (let n = 0; Date.now() < killedAt + LOAD_AFTER_KILL_MS; n++) {
        const token = await apps[0].token(`galera-kill-${w}-${Math.floor(n / 5)}`);
        outcomes.push(await timedClaim(apps[instance], instance, `kill-${w}-${n}.galera.example.com`, token));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    killedAt = Date.now();
    await cluster.killNode(KILLED);
    const killed = Date.now();
    const readyWhileDown = await timedFetch(`${victim.url}/readyz`);
    await Promise.all(claimers);

    const acknowledged = outcomes.filter((o) => o.created);
    const onVictimAfterKill = outcomes.filter((o) => o.instance === KILLED - 1 && o.startedAt >= killed);
    const failures = outcomes.filter((o) => !o.created);
    const survivors = outcomes.filter((o) => o.instance !== KILLED - 1 && o.startedAt + o.ms >= killed);
    console.log(
      `survivors' claims spanning or after the kill: ${survivors.length}, the slowest ${Math.max(...survivors.map((o) => o.ms))} ms; ` +
        `first acknowledged after the kill: ${Math.min(...survivors.filter((o) => o.created && o.startedAt >= killed).map((o) => o.startedAt + o.ms - killed))} ms after it`,
    );
    console.log(
      `SIGKILL of node ${KILLED} under load: ${outcomes.length} claims, ${acknowledged.length} acknowledged, ` +
        `${failures.length} refused (${[...new Set(failures.map((o) => o.code))].join(", ")}); the dead node's instance answered ` +
        `${onVictimAfterKill.length} claims in at most ${Math.max(...onVictimAfterKill.map((o) => o.ms))} ms`,
    );
    // Whatever failed, failed as a client can act on: never a hang, never an internal error.
    expect(failures.every((o) => o.code === "SERVICE_UNAVAILABLE")).toBe(true);
    expect(onVictimAfterKill.length).toBeGreaterThan(0);
    expect(onVictimAfterKill.every((o) => !o.created && o.code === "SERVICE_UNAVAILABLE")).toBe(true);
    expect(Math.max(...onVictimAfterKill.map((o) => o.ms))).toBeLessThan(CLIENT_TIMEOUT_MS / 2);
    expect(readyWhileDown.status).toBe(503);
    // The two other nodes kept taking writes.
    for (const instance of [0, 1, 2].filter((i) => i !== KILLED - 1)) {
      expect(acknowledged.some((o) => o.instance === instance && o.startedAt >= killed)).toBe(true);
    }
    const names = acknowledged.map((o) => o.name);
    for (const node of [1, 2, 3].filter((n) => n !== KILLED)) {
      const present = new Set(claimsOn(node));
      expect(names.filter((name) => !present.has(name))).toEqual([]);
    }

    const restartedAt = Date.now();
    const syncedAt = await cluster.restartNode(KILLED);
    const token = await apps[0].token("galera-kill-after");
    let recovered: ClaimOutcome | undefined;
    for (let attempt = 0; !recovered && Date.now() - syncedAt < 30_000; attempt++) {
      const outcome = await timedClaim(victim, KILLED - 1, `kill-after-${attempt}.galera.example.com`, token);
      expect(outcome.code ?? "SERVICE_UNAVAILABLE").toBe("SERVICE_UNAVAILABLE");
      if (outcome.created) recovered = outcome;
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(recovered).toBeDefined();
    console.log(
      `node ${KILLED} Synced again ${syncedAt - restartedAt} ms after its restart; its instance's first acknowledged claim came ${recovered!.startedAt + recovered!.ms - syncedAt} ms later`,
    );
    const read = await victim.gql(`{ domains(first: 10) { nodes { name } } }`, {}, { token });
    expect(read.body.data.domains.nodes.map((d: { name: string }) => d.name)).toContain(recovered!.name);
    expect((await timedFetch(`${victim.url}/readyz`)).status).toBe(200);
    const onRejoined = new Set(claimsOn(KILLED));
    expect(names.filter((name) => !onRejoined.has(name))).toEqual([]);
  });
});

/** Past this a request counts as hung: every request of the SIGKILL test is bounded by it. */
const CLIENT_TIMEOUT_MS = 20_000;
/** Long enough for the survivors to evict the dead node (evs.suspect_timeout, 5 s by default) and take writes again. */
const LOAD_AFTER_KILL_MS = 10_000;

interface ClaimOutcome {
  instance: number;
  name: string;
  startedAt: number;
  ms: number;
  created: boolean;
  code?: string;
}

async function timedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
}

/** One claim, bounded by the client's timeout (a timeout rejects, failing the test); acknowledged only with created and an id. */
async function timedClaim(app: TestApp, instance: number, name: string, token: string): Promise<ClaimOutcome> {
  const startedAt = Date.now();
  const response = await timedFetch(`${app.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: CLAIM, variables: { name } }),
  });
  const body = (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
  const payload = body.data?.claimDomain;
  const created = Boolean(payload?.created && payload.domain?.id);
  const code = body.errors?.[0]?.extensions?.code ?? payload?.userErrors?.[0]?.code;
  return { instance, name, startedAt, ms: Date.now() - startedAt, created, ...(created ? {} : { code }) };
}
