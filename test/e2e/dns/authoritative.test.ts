/**
 * Authoritative mode against BIND 9 as the zone's own nameserver (acme.test: NS ns1.acme.test,
 * ns1 A 127.0.0.1), and the negative-caching case it exists for: a caching BIND 9 in front of the
 * primary keeps answering NXDOMAIN after the record is published.
 */
import { ManualClock } from "../../../src/shared/clock";
import { startBind9, type Bind9Server } from "../../support/bind9";
import { startSilentDnsServer, type SilentDnsServer } from "../../support/silent-dns-server";
import { CLOCK_START, newClaim, verifierFor } from "./verifier-fixtures";

let primary: Bind9Server;
let caching: Bind9Server;
let silent: SilentDnsServer;

beforeAll(async () => {
  primary = await startBind9({
    zones: [
      { name: "acme.test" },
      // A second NS name on the same address: one vantage point, not two.
      { name: "twins.test", records: ["@ NS ns2.twins.test.", "ns2 A 127.0.0.1"] },
    ],
  });
  caching = await startBind9({ forwardTo: primary.server });
  silent = await startSilentDnsServer();
});

afterAll(async () => {
  await Promise.all([primary?.stop(), caching?.stop(), silent?.stop()]);
});

const authoritative = (servers: string[], overrides = {}) =>
  verifierFor(servers, { mode: "authoritative", authoritativePort: primary.port, allowPrivateNameservers: true, ...overrides });

describe("authoritative mode", () => {
  it("never asks nameservers at private or loopback addresses unless allowed", async () => {
    const claim = newClaim();
    await primary.update("acme.test", [`update add ${claim.host}. 60 TXT "${claim.txt}"`]);
    const check = await authoritative([primary.server], { allowPrivateNameservers: false }).verify(claim.request);
    expect(check).toMatchObject({ outcome: "DNS_ERROR", servers: [] });
    // Saying which private addresses they are would map our network for the claimant.
    expect(check.message).toContain("resolve only to private or reserved addresses (one address), which are never asked");
    expect(check.message).not.toContain("127.0.0.1");
  });

  it("asks the zone's nameserver directly and names it", async () => {
    const claim = newClaim();
    await primary.update("acme.test", [`update add ${claim.host}. 60 TXT "${claim.txt}"`]);
    const check = await authoritative([primary.server]).verify(claim.request);
    expect(check).toMatchObject({ outcome: "VERIFIED", method: "TXT" });
    expect(check.servers).toEqual([{ server: "ns1.acme.test (127.0.0.1)", answer: "FOUND", values: [claim.txt], durationMs: expect.any(Number), dnssec: "UNVALIDATED", extendedErrors: [] }]);
    expect(check.message).toBe(`Verified: ${claim.host} has the TXT record ${claim.txt}.`);
  });

  it("counts one vantage point per nameserver address", async () => {
    const claim = newClaim("twins.test");
    await primary.update("twins.test", [`update add ${claim.host}. 60 TXT "${claim.txt}"`]);
    const check = await authoritative([primary.server]).verify(claim.request);
    expect(check.outcome).toBe("VERIFIED");
    expect(check.servers).toHaveLength(1);
    expect(check.servers[0].server).toMatch(/^ns[12]\.twins\.test \(127\.0\.0\.1\)$/);
  });

  it("says RECORD_NOT_FOUND from the nameserver, in nameserver words", async () => {
    const claim = newClaim();
    const check = await authoritative([primary.server]).verify(claim.request);
    expect(check.outcome).toBe("RECORD_NOT_FOUND");
    expect(check.servers[0]).toMatchObject({ server: "ns1.acme.test (127.0.0.1)", answer: "NXDOMAIN" });
  });

  it("is DNS_ERROR when the domain has no nameservers", async () => {
    const claim = newClaim("nowhere.test");
    const check = await authoritative([caching.server]).verify(claim.request);
    expect(check).toMatchObject({ outcome: "DNS_ERROR", servers: [], foundValues: [] });
    expect(check.message).toMatch(new RegExp(`^Nothing was concluded about ${claim.host.replace(/\./g, "\\.")}: .*NS records.*; try again later\\.$`));
  });

  it("is DNS_ERROR on time when the resolver used for discovery never answers", async () => {
    const claim = newClaim();
    const started = performance.now();
    const check = await authoritative([silent.server], { timeoutMs: 400 }).verify(claim.request);
    expect(performance.now() - started).toBeLessThan(400 + 300);
    expect(check.outcome).toBe("DNS_ERROR");
    expect(check.message).toContain(`${silent.server} did not answer in time when asked for the NS records of`);
  });

  it("ends on time when the nameserver itself never answers", async () => {
    const claim = newClaim();
    const started = performance.now();
    const check = await authoritative([primary.server], { timeoutMs: 400, authoritativePort: silent.port }).verify(claim.request);
    expect(performance.now() - started).toBeLessThan(400 + 300);
    expect(check.outcome).toBe("DNS_ERROR");
    expect(check.servers).toEqual([{ server: "ns1.acme.test (127.0.0.1)", answer: "TIMEOUT", values: [], durationMs: expect.any(Number), dnssec: "UNVALIDATED", extendedErrors: [] }]);
  });
});

describe("negative caching", () => {
  it("keeps a caching resolver saying RECORD_NOT_FOUND after publishing, while authoritative mode verifies at once", async () => {
    const claim = newClaim();
    const clock = new ManualClock(CLOCK_START);
    const throughCache = verifierFor([caching.server], { clock });

    expect((await throughCache.verify(claim.request)).outcome).toBe("RECORD_NOT_FOUND");
    await primary.update("acme.test", [`update add ${claim.host}. 60 TXT "${claim.txt}"`]);

    const cached = await throughCache.verify(claim.request);
    expect(cached.outcome).toBe("RECORD_NOT_FOUND");
    const hint = cached.hints.find((h) => h.includes("RFC 2308"));
    expect(hint).toContain(`Resolvers remember that ${claim.host} does not exist for up to 30 seconds`);
    // Read through the caching resolver, the SOA's TTL may already have counted down a second.
    expect(hint).toMatch(/the lesser of the acme\.test SOA record's TTL (59|60) and its MINIMUM field 30/);
    const retryAt = new Date(/succeed at (\S+)\.$/.exec(hint ?? "")?.[1] ?? "").getTime();
    const start = new Date(CLOCK_START).getTime();
    expect(retryAt).toBeGreaterThan(start);
    expect(retryAt).toBeLessThanOrEqual(start + 30_000);

    const direct = await authoritative([caching.server], { clock }).verify(claim.request);
    expect(direct).toMatchObject({ outcome: "VERIFIED", method: "TXT" });
    expect(direct.servers[0].server).toBe("ns1.acme.test (127.0.0.1)");
  });
});
