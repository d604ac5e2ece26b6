import { startBind9, Bind9Server } from "../support/bind9";
import { startSilentDnsServer, SilentDnsServer } from "../support/silent-dns-server";
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

/** claim → publish with nsupdate → verifyDomain, through the real server, the real verifier and bind9. */
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id name txtRecord { host value } cnameRecord { host value } } userErrors { code message } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified domain { status lastCheckedAt lastCheck { outcome } } check { outcome method message foundValues hints servers { server answer values durationMs } } userErrors { code } } }`;
const ZONE = "acme.test";

let dns: Bind9Server;
let refusing: Bind9Server;
let silent: SilentDnsServer;
beforeAll(async () => {
  [dns, refusing, silent] = await Promise.all([
    startBind9({ zones: [{ name: ZONE }] }),
    startBind9({ zones: [{ name: ZONE }], refuseQueries: true }),
    startSilentDnsServer(),
  ]);
});
afterAll(async () => {
  await Promise.all([dns?.stop(), refusing?.stop(), silent?.stop()]);
});

let seq = 0;
const fresh = (label: string) => `${label}-${process.pid}-${++seq}.${ZONE}`;

describe.each(DATABASE_FLAVORS)("verification end to end on %s", (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ db, env: { DNS_SERVERS: dns.server, DNS_TIMEOUT_MS: "1500", MAX_DOMAINS_PER_ACCOUNT: "50" } });
  });
  afterAll(async () => t?.close());

  const claim = async (name: string, token?: string) => {
    const result = await t.gql(CLAIM, { name }, token ? { token } : {});
    expect(result.body.data.claimDomain.userErrors).toEqual([]);
    return result.body.data.claimDomain.domain;
  };
  const verify = async (id: string, token?: string) => (await t.gql(VERIFY, { id }, token ? { token } : {})).body.data.verifyDomain;

  it("verifies a TXT record published in split chunks, with quotes and whitespace around the value", async () => {
    const domain = await claim(fresh("split"));
    const value: string = domain.txtRecord.value;
    const quoted = `  "${value}" `;
    await dns.update(ZONE, [`update add ${domain.txtRecord.host}. 60 TXT "${quoted.slice(0, 20).replace(/"/g, '\\"')}" "${quoted.slice(20).replace(/"/g, '\\"')}"`]);
    const result = await verify(domain.id);
    expect(result).toMatchObject({ verified: true, domain: { status: "VERIFIED", lastCheck: { outcome: "VERIFIED" } }, check: { outcome: "VERIFIED", method: "TXT" } });
    expect(result.check.servers).toEqual([expect.objectContaining({ server: dns.server, answer: "FOUND" })]);
  });

  it("verifies cnameRecord.value published exactly as given, with nsupdate", async () => {
    const domain = await claim(fresh("cname-as-given"));
    await dns.update(ZONE, [`update add ${domain.cnameRecord.host}. 60 CNAME ${domain.cnameRecord.value}.`]);
    expect(await verify(domain.id)).toMatchObject({ verified: true, check: { outcome: "VERIFIED", method: "CNAME" } });
  });

  it("verifies a CNAME published in the two-label form a DNS server accepts (upper case, trailing dot)", async () => {
    const domain = await claim(fresh("cname"));
    const token = domain.txtRecord.value.replace("dnsproof-verification=", "");
    expect(domain.cnameRecord.value).toBe(`${token.slice(0, 32)}.${token.slice(32)}.verify.dnsproof.dev`);
    const publishable = `${domain.cnameRecord.value.toUpperCase()}.`;
    await dns.update(ZONE, [`update add ${domain.cnameRecord.host}. 60 CNAME ${publishable}`]);
    const result = await verify(domain.id);
    expect(result).toMatchObject({ verified: true, check: { outcome: "VERIFIED", method: "CNAME" } });
  });

  it("reports a wrong value with what was found, and FAILED, then verifies once the value is fixed", async () => {
    const domain = await claim(fresh("mismatch"));
    await dns.update(ZONE, [`update add ${domain.txtRecord.host}. 60 TXT "dnsproof-verification=${"0".repeat(64)}"`]);
    const wrong = await verify(domain.id);
    expect(wrong).toMatchObject({ verified: false, domain: { status: "FAILED" }, check: { outcome: "VALUE_MISMATCH", foundValues: [`dnsproof-verification=${"0".repeat(64)}`] } });
    await dns.update(ZONE, [`update delete ${domain.txtRecord.host}. TXT`, `update add ${domain.txtRecord.host}. 60 TXT "${domain.txtRecord.value}"`]);
    expect((await verify(domain.id)).check.outcome).toBe("VERIFIED");
  });

  it("reports a missing record as RECORD_NOT_FOUND with the host named", async () => {
    const domain = await claim(fresh("missing"));
    const result = await verify(domain.id);
    expect(result).toMatchObject({ verified: false, domain: { status: "FAILED" }, check: { outcome: "RECORD_NOT_FOUND", foundValues: [] } });
    expect(result.check.message).toContain(domain.txtRecord.host);
  });

  it("keeps the evidence of each check in the audit log, per vantage point", async () => {
    const domain = await claim(fresh("evidence"));
    await dns.update(ZONE, [`update add ${domain.txtRecord.host}. 60 TXT "${domain.txtRecord.value}"`]);
    await verify(domain.id);
    const log = await t.gql(`query($id: ID!) { auditLog(domainId: $id, action: VERIFICATION_SUCCEEDED) { nodes { check { outcome method checkedAt servers { server answer values durationMs } } } } }`, { id: domain.id });
    const [entry] = log.body.data.auditLog.nodes;
    expect(entry.check).toMatchObject({ outcome: "VERIFIED", method: "TXT", servers: [{ server: dns.server, answer: "FOUND", values: [domain.txtRecord.value], durationMs: expect.any(Number) }] });
  });

  it("leaves a verified domain VERIFIED when its record disappears (re-checks decide, with a grace period)", async () => {
    const domain = await claim(fresh("removed"));
    await dns.update(ZONE, [`update add ${domain.txtRecord.host}. 60 TXT "${domain.txtRecord.value}"`]);
    expect((await verify(domain.id)).verified).toBe(true);
    await dns.update(ZONE, [`update delete ${domain.txtRecord.host}. TXT`]);
    const after = await verify(domain.id);
    expect(after.check.outcome).toBe("RECORD_NOT_FOUND");
    expect(after.domain.status).toBe("VERIFIED");
  });

  it("hands ownership over by DNS control between two accounts, at the same time", async () => {
    const name = fresh("contested");
    const [a, b] = [await t.token(`a-${db}`), await t.token(`b-${db}`)];
    const [da, dbb] = [await claim(name, a), await claim(name, b)];
    await dns.update(ZONE, [`update add ${da.txtRecord.host}. 60 TXT "${da.txtRecord.value}"`, `update add ${da.txtRecord.host}. 60 TXT "${dbb.txtRecord.value}"`]);
    const both = await Promise.all([verify(da.id, a), verify(dbb.id, b)]);
    expect(both.map((r) => r.check.outcome).sort()).toEqual(["VERIFIED", "VERIFIED_BY_ANOTHER_ACCOUNT"]);
    const [winner, loser] = both[0].verified ? [[da, a], [dbb, b]] : [[dbb, b], [da, a]];
    await dns.update(ZONE, [`update delete ${da.txtRecord.host}. TXT "${winner[0].txtRecord.value}"`]);
    expect((await verify(loser[0].id, loser[1])).check.outcome).toBe("VERIFIED");
    const formerOwner = await t.gql(`query($id: ID!) { domain(id: $id) { status } }`, { id: winner[0].id }, { token: winner[1] });
    expect(formerOwner.body.data.domain.status).toBe("REVOKED");
  });
});

describe("verification when DNS cannot be asked", () => {
  it("answers DNS_ERROR and changes nothing when the server refuses", async () => {
    const t = await startTestApp({ env: { DNS_SERVERS: refusing.server, DNS_TIMEOUT_MS: "1500" } });
    try {
      const domain = (await t.gql(CLAIM, { name: fresh("refused") })).body.data.claimDomain.domain;
      const result = (await t.gql(VERIFY, { id: domain.id })).body.data.verifyDomain;
      expect(result).toMatchObject({ verified: false, domain: { status: "PENDING" }, check: { outcome: "DNS_ERROR", servers: [{ answer: "REFUSED" }] } });
    } finally {
      await t.close();
    }
  });

  it("answers within the deadline when the server never answers", async () => {
    const t = await startTestApp({ env: { DNS_SERVERS: silent.server, DNS_TIMEOUT_MS: "700" } });
    try {
      const domain = (await t.gql(CLAIM, { name: fresh("silent") })).body.data.claimDomain.domain;
      const started = Date.now();
      const result = (await t.gql(VERIFY, { id: domain.id })).body.data.verifyDomain;
      const elapsed = Date.now() - started;
      expect(result).toMatchObject({ domain: { status: "PENDING" }, check: { outcome: "DNS_ERROR", servers: [{ answer: "TIMEOUT" }] } });
      expect(elapsed).toBeLessThan(700 + 500);
    } finally {
      await t.close();
    }
  });
});
