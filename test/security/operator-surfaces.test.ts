/**
 * Replays what the review found open to anyone: /metrics without credentials and with
 * claimant-chosen nameserver names in its labels, and unlimited ADMIN_SECRET guesses.
 */
import { startBind9, type Bind9Server } from "../support/bind9";
import { DATABASE_FLAVORS } from "../support/databases";
import { startTestApp } from "../support/test-app";

const METRICS_TOKEN = "a-metrics-token-of-at-least-32-chars";

describe("/metrics in production", () => {
  it("needs Authorization: Bearer <METRICS_TOKEN> (401 otherwise)", async () => {
    const t = await startTestApp({ env: { NODE_ENV: "production", METRICS_TOKEN } });
    try {
      const get = (authorization?: string) => fetch(`${t.url}/metrics`, { headers: authorization ? { authorization } : {} });
      expect((await get()).status).toBe(401);
      expect((await get("Bearer wrong-token")).status).toBe(401);
      expect((await get(`Basic ${METRICS_TOKEN}`)).status).toBe(401);
      const allowed = await get(`Bearer ${METRICS_TOKEN}`);
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain("dnsproof_graphql_requests_total");
    } finally {
      await t.close();
    }
  });

  it("is closed without a token, and open with METRICS_PUBLIC=true", async () => {
    const closed = await startTestApp({ env: { NODE_ENV: "production" } });
    const open = await startTestApp({ env: { NODE_ENV: "production", METRICS_PUBLIC: "true" } });
    try {
      expect((await fetch(`${closed.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
    } finally {
      await Promise.all([closed.close(), open.close()]);
    }
  });
});

describe("metric labels in authoritative mode", () => {
  let dns: Bind9Server;
  beforeAll(async () => {
    dns = await startBind9({ zones: [{ name: "label.test", records: ["@ NS claimant-chosen-name.label.test.", "claimant-chosen-name A 127.0.0.1"] }] });
  });
  afterAll(async () => dns?.stop());

  it("never carry nameserver names a claimant chose", async () => {
    const t = await startTestApp({
      env: { DNS_SERVERS: dns.server, DNS_MODE: "authoritative", DNS_AUTHORITATIVE_PORT: String(dns.port), DNS_AUTHORITATIVE_ALLOW_PRIVATE: "true" },
    });
    try {
      const claimed = await t.gql(`mutation { claimDomain(input: { name: "a.label.test" }) { domain { id } } }`);
      const verified = await t.gql(`mutation($id: ID!) { verifyDomain(input: { id: $id }) { check { servers { server } } } }`, { id: claimed.body.data.claimDomain.domain.id });
      expect(verified.body.data.verifyDomain.check.servers[0].server).toContain("claimant-chosen-name");
      const text = await (await fetch(`${t.url}/metrics`)).text();
      // The record host, and the persistent-record hosts of the name and of its registrable domain.
      expect(text).toMatch(/dnsproof_dns_lookups_total\{server="nameserver",answer="NXDOMAIN"\} 3/);
      expect(text).not.toContain("claimant-chosen-name");
    } finally {
      await t.close();
    }
  });
});

describe.each(DATABASE_FLAVORS)("failed authentications on %s", (db) => {
  it("are limited per client IP: past the limit even the right ADMIN_SECRET is not looked at", async () => {
    const ADMIN_SECRET = "the-right-admin-secret-0123456789abcdef";
    const t = await startTestApp({ db, env: { NODE_ENV: "production", ADMIN_SECRET, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: "3", TRUST_PROXY: "loopback" } });
    try {
      const viewer = (token: string, ip = "203.0.113.7") => t.gql(`{ viewer { isAdmin } }`, {}, { token, headers: { "x-forwarded-for": ip } });
      for (let i = 0; i < 3; i++) expect((await viewer(`guess-${i}-${"x".repeat(30)}`)).status).toBe(401);
      const refused = await viewer(ADMIN_SECRET);
      expect(refused.status).toBe(429);
      expect(refused.body.errors![0]).toMatchObject({ extensions: { code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) } });
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // Another address is unaffected, and anonymous requests are never counted.
      expect((await viewer(ADMIN_SECRET, "198.51.100.9")).body.data.viewer.isAdmin).toBe(true);
      expect((await t.gql(`{ __typename }`, {}, { token: null, headers: { "x-forwarded-for": "203.0.113.7" } })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
