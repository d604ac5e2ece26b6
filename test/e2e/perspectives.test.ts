/**
 * Remote perspectives end to end: five `dnsproof perspective` processes, each with its own
 * resolver (BIND 9 in recursive mode), and a primary whose resolver, like one perspective's,
 * sees a forged copy of the zone served by a second BIND 9: forged token records, a forged
 * persistent record, and SUBTREE claims are all held to the same corroboration.
 */
import http from "node:http";
import { startBind9, type Bind9Server } from "../support/bind9";
import { spawnPerspective, type PerspectiveProcess } from "../support/perspective-process";
import { startTestApp, type TestApp } from "../support/test-app";
import { createPerspectiveClient } from "../../src/perspectives/perspective-client";
import { perspectiveResult } from "../../src/perspectives/corroborating-verifier";
import { ActorType } from "../../src/audit/audit.types";
import { LOOKUP_PATH, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signAnswer } from "../../src/perspectives/channel";

const ZONE = "acme.test";
const SECRET = "perspective-test-secret-0123456789abcdef";
const CLAIM = `mutation($name: String!, $scope: DomainScope) { claimDomain(input: { name: $name, scope: $scope }) {
  domain { id txtRecord { host value } persistentRecord { host value } } userErrors { code message } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) {
  domain { status lastCheck { outcome corroboration { asked corroborating } } }
  check { outcome method message perspectives { name region answer dnssec corroborates error } corroboration { asked corroborating required regions requiredRegions } }
  userErrors { code } } }`;
const REGIONS = ["ARIN", "RIPE", "APNIC", "ARIN", "RIPE"];

let real: Bind9Server;
let forged: Bind9Server;
const resolvers: Bind9Server[] = [];
const perspectives: PerspectiveProcess[] = [];
let primary: TestApp;

beforeAll(async () => {
  [real, forged] = await Promise.all([startBind9({ zones: [{ name: ZONE }] }), startBind9({ zones: [{ name: ZONE }] })]);
  // The primary's resolver and p1's see the forged zone; p2 to p5 each have their own resolver of the real one.
  const upstreams = [forged, forged, real, real, real, real];
  resolvers.push(...(await Promise.all(upstreams.map((upstream) => startBind9({ forwardTo: upstream.server })))));
  perspectives.push(
    ...(await Promise.all(REGIONS.map((region, i) => spawnPerspective({ name: `p${i + 1}`, region, resolver: resolvers[i + 1].server, secret: SECRET })))),
  );
  primary = await startTestApp({
    env: {
      DNS_SERVERS: resolvers[0].server,
      DNS_TIMEOUT_MS: "2500",
      DNS_PERSPECTIVES: perspectives.map((p) => p.url).join(","),
      DNS_PERSPECTIVE_SECRET: SECRET,
    },
  });
}, 180_000);

afterAll(async () => {
  await primary?.close();
  await Promise.all(perspectives.map((p) => p.stop()));
  await Promise.all([...resolvers, real, forged].map((server) => server?.stop()));
}, 60_000);

let seq = 0;
const fresh = (label: string) => `${label}-${process.pid}-${++seq}.${ZONE}`;

async function claim(name: string, sub: string, scope?: "SUBTREE"): Promise<{ id: string; host: string; value: string; token: string; persistValue: string }> {
  const token = await primary.token(sub);
  const result = await primary.gql(CLAIM, { name, scope }, { token });
  expect(result.body.data.claimDomain.userErrors).toEqual([]);
  const { id, txtRecord, persistentRecord } = result.body.data.claimDomain.domain;
  return { id, host: txtRecord.host, value: txtRecord.value, token, persistValue: persistentRecord.value };
}

const publish = (server: Bind9Server, host: string, value: string) => server.update(ZONE, [`update add ${host}. 60 TXT "${value}"`]);
const verify = async (id: string, token: string) => (await primary.gql(VERIFY, { id }, { token })).body.data.verifyDomain;

describe("remote perspectives", () => {
  let rightful: { id: string; token: string };

  it("holds back a claim whose token only the hijacked paths see, and verifies the rightful one", async () => {
    const name = fresh("shop");
    const attacker = await claim(name, "attacker");
    const owner = await claim(name, "owner");
    await publish(real, owner.host, owner.value);
    // The forged copy carries the attacker's token beside the real records.
    await publish(forged, owner.host, owner.value);
    await publish(forged, attacker.host, attacker.value);

    const hijack = await verify(attacker.id, attacker.token);
    expect(hijack.check.outcome).toBe("NOT_CORROBORATED");
    expect(hijack.domain.status).toBe("PENDING");
    expect(hijack.check.corroboration).toEqual({ asked: 5, corroborating: 1, required: 4, regions: ["ARIN"], requiredRegions: 2 });
    expect(hijack.check.perspectives.map((p: any) => [p.name, p.corroborates])).toEqual([
      ["p1", true],
      ["p2", false],
      ["p3", false],
      ["p4", false],
      ["p5", false],
    ]);
    expect(hijack.check.message).toContain("p2 (RIPE): it saw other values, not this claim's token");
    const audit = await primary.gql(
      `query($id: ID!) { node(id: $id) { ... on Domain { auditLog(first: 1) { nodes { action check { outcome perspectives { name corroborates } corroboration { corroborating required } } } } } } }`,
      { id: attacker.id },
      { token: attacker.token },
    );
    expect(audit.body.data.node.auditLog.nodes[0]).toMatchObject({
      action: "VERIFICATION_INCONCLUSIVE",
      check: { outcome: "NOT_CORROBORATED", corroboration: { corroborating: 1, required: 4 }, perspectives: expect.arrayContaining([{ name: "p1", corroborates: true }]) },
    });

    const proven = await verify(owner.id, owner.token);
    expect(proven.check.outcome).toBe("VERIFIED");
    expect(proven.domain.status).toBe("VERIFIED");
    expect(proven.check.corroboration).toEqual({ asked: 5, corroborating: 5, required: 4, regions: ["APNIC", "ARIN", "RIPE"], requiredRegions: 2 });
    expect(proven.check.perspectives.every((p: any) => p.dnssec === "UNVALIDATED" && p.error === null)).toBe(true);
    expect(proven.domain.lastCheck.corroboration).toEqual({ asked: 5, corroborating: 5 });
    rightful = owner;
  });

  it("holds back a forged persistent record only the hijacked paths see, and verifies a genuine one from the parent, with policy=subtree", async () => {
    const name = fresh("persist");
    const attacker = await claim(name, "attacker");
    // Only the forged zone names the attacker's account; no token record anywhere.
    await publish(forged, `_dnsproof-persist.${name}`, attacker.persistValue);
    const hijack = await verify(attacker.id, attacker.token);
    expect(hijack.check.outcome).toBe("NOT_CORROBORATED");
    expect(hijack.check.method).toBeNull();
    expect(hijack.domain.status).toBe("PENDING");
    expect(hijack.check.corroboration).toEqual({ asked: 5, corroborating: 1, required: 4, regions: ["ARIN"], requiredRegions: 2 });
    expect(hijack.check.perspectives.map((p: any) => [p.name, p.answer, p.corroborates])).toEqual([
      ["p1", "FOUND", true],
      ["p2", "NXDOMAIN", false],
      ["p3", "NXDOMAIN", false],
      ["p4", "NXDOMAIN", false],
      ["p5", "NXDOMAIN", false],
    ]);
    expect(hijack.check.message).toContain(`this server found the record at _dnsproof-persist.${name}, but only 1 of 5 remote perspectives saw it`);
    expect(hijack.check.message).toContain("p2 (RIPE): record not found");

    // The rightful owner's record at the parent covers the name below it: the perspectives are asked about the parent's host.
    const parent = fresh("tree");
    const owner = await claim(`www.${parent}`, "owner");
    for (const server of [real, forged]) await publish(server, `_dnsproof-persist.${parent}`, `${owner.persistValue}; policy=subtree`);
    const proven = await verify(owner.id, owner.token);
    expect(proven.check).toMatchObject({ outcome: "VERIFIED", method: "PERSISTENT" });
    expect(proven.domain.status).toBe("VERIFIED");
    expect(proven.check.corroboration).toEqual({ asked: 5, corroborating: 5, required: 4, regions: ["APNIC", "ARIN", "RIPE"], requiredRegions: 2 });
    expect(proven.check.message).toContain(`_dnsproof-persist.${parent} has the persistent record`);
    expect(proven.check.message).toContain("Corroborated: 5 of 5 remote perspectives in 3 regions saw it.");
  });

  it("corroborates a SUBTREE claim at its own record host, and holds back one only the hijacked paths see", async () => {
    const owner = await claim(fresh("tree"), "owner", "SUBTREE");
    expect(owner.host).toMatch(/^_dnsproof-subtree\./);
    for (const server of [real, forged]) await publish(server, owner.host, owner.value);
    const proven = await verify(owner.id, owner.token);
    expect(proven.check).toMatchObject({ outcome: "VERIFIED", method: "TXT", corroboration: { asked: 5, corroborating: 5 } });
    expect(proven.domain.status).toBe("VERIFIED");

    const attacker = await claim(fresh("tree"), "attacker", "SUBTREE");
    await publish(forged, attacker.host, attacker.value);
    const hijack = await verify(attacker.id, attacker.token);
    expect(hijack.check).toMatchObject({ outcome: "NOT_CORROBORATED", corroboration: { asked: 5, corroborating: 1 } });
    expect(hijack.check.message).toContain(`this server found the record at ${attacker.host}`);
  });

  it("turns VERIFIED into NOT_CORROBORATED exactly at the quorum as perspectives stop", async () => {
    const outcomes: string[] = [];
    let last: any;
    for (const stopped of [perspectives[4], perspectives[3]]) {
      await stopped.stop();
      const owner = await claim(fresh("step"), "owner");
      await publish(real, owner.host, owner.value);
      await publish(forged, owner.host, owner.value);
      last = await verify(owner.id, owner.token);
      outcomes.push(`${last.check.corroboration.corroborating}/${last.check.corroboration.asked}: ${last.check.outcome}`);
    }
    expect(outcomes).toEqual(["4/5: VERIFIED", "3/5: NOT_CORROBORATED"]);
    expect(last.domain.status).toBe("PENDING");
    expect(last.check.message).toMatch(/p5 \(RIPE\): unreachable/);
    expect(last.check.message).toMatch(/p4 \(ARIN\): unreachable/);
  });

  it("never holds back the re-check of a VERIFIED claim for perspectives that are down", async () => {
    const recheck = await verify(rightful.id, rightful.token);
    expect(recheck.check.outcome).toBe("VERIFIED");
    expect(recheck.domain.status).toBe("VERIFIED");
    expect(recheck.check.corroboration).toMatchObject({ asked: 5, corroborating: 3 });
    expect(recheck.check.message).toContain("Only 3 of 5 remote perspectives");

    // The operators' re-verification goes through the scheduler's runner: the same rule.
    const counts = await primary.app.maintenance.reverify({ actor: { type: ActorType.ADMIN, id: "test", email: null }, requestId: "perspectives-reverify" }, 100);
    expect(counts).toMatchObject({ stillVerified: counts.checked, inGracePeriod: 0, revoked: 0, dnsErrors: 0 });
    expect(counts.checked).toBeGreaterThanOrEqual(2);
    const after = await primary.gql(`query($id: ID!) { node(id: $id) { ... on Domain { status lastCheck { outcome corroboration { corroborating } } } } }`, { id: rightful.id }, { token: rightful.token });
    expect(after.body.data.node).toEqual({ status: "VERIFIED", lastCheck: { outcome: "VERIFIED", corroboration: { corroborating: 3 } } });
  });
});

describe("a perspective's door", () => {
  const lookup = (url: string, body: unknown, headers: Record<string, string> = {}, localAddress?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(`${url}${LOOKUP_PATH}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, localAddress }, (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      });
      request.on("error", reject);
      request.end(JSON.stringify(body));
    });
  const ask = (name: string, host: string) => ({ name, nonce: "00112233445566778899aabb", timeoutMs: 1000, lookups: [{ host, type: "TXT" }] });
  const bearer = { authorization: `Bearer ${SECRET}` };

  it("refuses callers without the secret (401) and names that are not verification records (403)", async () => {
    const url = perspectives[0].url;
    expect((await lookup(url, ask("a.acme.test", "_dnsproof-verify.a.acme.test"))).status).toBe(401);
    expect((await lookup(url, ask("a.acme.test", "_dnsproof-verify.a.acme.test"), { authorization: `Bearer ${SECRET}x` })).status).toBe(401);
    expect((await lookup(url, ask("a.acme.test", "www.example.com"), bearer)).status).toBe(403);
    expect((await lookup(url, { ...ask("a.acme.test", "_dnsproof-verify.a.acme.test"), lookups: [{ host: "_dnsproof-verify.a.acme.test", type: "A" }] }, bearer)).status).toBe(400);
    expect((await lookup(url, ask("a.acme.test", "_dnsproof-verify.a.acme.test"), bearer)).status).toBe(200);
    // A hint probe's name is a verification name too.
    expect((await lookup(url, ask("a.acme.test", "_dnsproof-verify.a.acme.test.acme.test"), bearer)).status).toBe(200);
  });

  it("rate-limits each caller on its own", async () => {
    const limited = await spawnPerspective({ name: "rl", region: "ARIN", resolver: resolvers[2].server, secret: SECRET, env: { PERSPECTIVE_RATE_LIMIT: "3" } });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await lookup(limited.url, ask("a.acme.test", "_dnsproof-verify.a.acme.test"), bearer)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await lookup(limited.url, ask("a.acme.test", "_dnsproof-verify.a.acme.test"), bearer, "127.0.0.2")).status).toBe(200);
    } finally {
      await limited.stop();
    }
  }, 90_000);
});

describe("answers the primary does not count", () => {
  /** A proxy in front of a real perspective that tampers with its answers. */
  async function proxy(target: string, tamper: (answer: { headers: http.IncomingHttpHeaders; body: Buffer }) => { headers: http.IncomingHttpHeaders; body: Buffer }) {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk) => chunks.push(chunk));
      req.on("end", () => {
        const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (chunk) => parts.push(chunk));
          answer.on("end", () => {
            const changed = tamper({ headers: { ...answer.headers }, body: Buffer.concat(parts) });
            delete changed.headers["content-length"];
            delete changed.headers["transfer-encoding"];
            res.writeHead(answer.statusCode!, changed.headers);
            res.end(changed.body);
          });
        });
        upstream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  const request = { name: "x.acme.test", token: "c".repeat(64), previousTokens: [] };
  async function reasonThrough(url: string): Promise<string | null> {
    const reply = await createPerspectiveClient(url, { secret: SECRET }).lookUpRecordHost("x.acme.test", "_dnsproof-verify.x.acme.test", 2000);
    const result = perspectiveResult(reply, request, "verify.dnsproof.dev");
    expect(result.corroborates).toBe(false);
    return result.error;
  }

  it("refuses altered, unsigned, replayed and stale answers, with the reason", async () => {
    const target = perspectives[0].url;
    let recorded: { headers: http.IncomingHttpHeaders; body: Buffer } | null = null;
    const proxies = await Promise.all([
      proxy(target, ({ headers, body }) => ({ headers, body: Buffer.from(body.toString().replace('"p1"', '"p9"')) })),
      proxy(target, ({ headers, body }) => {
        delete headers[SIGNATURE_HEADER];
        return { headers, body };
      }),
      proxy(target, (answer) => (recorded ??= answer)),
    ]);
    try {
      const [altered, unsigned, replay] = proxies.map((p) => p.url);
      expect(await reasonThrough(altered)).toMatch(/^bad signature/);
      expect(await reasonThrough(unsigned)).toMatch(/^unsigned answer/);
      await reasonThrough(replay).catch(() => null);
      expect(await reasonThrough(replay)).toMatch(/^replayed answer/);
      // Sanity: the same perspective, asked directly, is counted as an answer.
      const direct = await createPerspectiveClient(target, { secret: SECRET }).lookUpRecordHost("x.acme.test", "_dnsproof-verify.x.acme.test", 2000);
      expect(direct.ok).toBe(true);
    } finally {
      await Promise.all(proxies.map((p) => p.close()));
    }
  });

  it("refuses an answer signed a minute ago", async () => {
    // A test double that holds the secret but signs with an old timestamp, as a replaying middlebox with a recorded answer would present it.
    const server = http.createServer((req, res) => {
      let text = "";
      req.on("data", (chunk) => (text += chunk));
      req.on("end", () => {
        const { nonce } = JSON.parse(text);
        const body = Buffer.from(JSON.stringify({ perspective: { name: "old", region: "ARIN" }, nonce, observations: [] }));
        const timestamp = Math.floor(Date.now() / 1000) - 60;
        res.writeHead(200, { [NONCE_HEADER]: nonce, [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signAnswer(SECRET, nonce, timestamp, body) });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      expect(await reasonThrough(`http://127.0.0.1:${(server.address() as { port: number }).port}`)).toMatch(/^stale answer/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("dnsproof perspective's command line", () => {
  async function run(argv: string[], env: Record<string, string>) {
    const { main } = await import("../../src/cli/main");
    const { PassThrough } = await import("node:stream");
    const out = new PassThrough();
    const err = new PassThrough();
    const code = await main(argv, { NODE_ENV: "test", ...env }, out, err);
    return { code, stderr: err.read()?.toString() ?? "" };
  }

  it("needs a name, a region and a secret, and refuses a database command's options", async () => {
    expect(await run(["perspective", "--region", "ARIN"], { PERSPECTIVE_SECRET: SECRET })).toMatchObject({ code: 2, stderr: expect.stringContaining("needs --name") });
    expect(await run(["perspective", "--name", "p", "--region", "bad region"], { PERSPECTIVE_SECRET: SECRET })).toMatchObject({ code: 2 });
    expect(await run(["perspective", "--name", "p", "--region", "ARIN", "--limit", "3"], { PERSPECTIVE_SECRET: SECRET })).toMatchObject({ code: 2 });
    expect(await run(["perspective", "--name", "p", "--region", "ARIN"], {})).toMatchObject({ code: 1, stderr: expect.stringContaining("PERSPECTIVE_SECRET must be set") });
    expect(await run(["migrate", "--region", "ARIN"], { PERSPECTIVE_SECRET: SECRET })).toMatchObject({ code: 2 });
  });
});
