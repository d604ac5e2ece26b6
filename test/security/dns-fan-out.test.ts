/**
 * A claimant writes its zone's NS records, and authoritative mode asks every nameserver they name.
 * Replays the review's attack against bind9: a zone with 20 NS names of 3 addresses each (60
 * "nameservers", all on loopback and relayed to one bind9 by a counting proxy). Before the bounds
 * one verification asked all 60 and sent about 900 queries.
 */
import { startBind9, type Bind9Server } from "../support/bind9";
import { startCountingDnsProxy, type CountingDnsProxy } from "../support/counting-dns-proxy";
import { newClaim, verifierFor } from "../e2e/dns/verifier-fixtures";
import { MAX_QUERIES_PER_VERIFICATION } from "../../src/verification/client";

const NAMES = 20;
const ADDRESSES_PER_NAME = 3;
const address = (name: number, i: number) => `127.0.${name + 1}.${i + 1}`;

let bind: Bind9Server;
let proxy: CountingDnsProxy;

beforeAll(async () => {
  const records: string[] = [];
  for (let n = 0; n < NAMES; n++) {
    records.push(`@ NS ns${String(n).padStart(2, "0")}.fan.test.`);
    for (let i = 0; i < ADDRESSES_PER_NAME; i++) records.push(`ns${String(n).padStart(2, "0")} A ${address(n, i)}`);
  }
  bind = await startBind9({ zones: [{ name: "fan.test", records }] });
  const addresses = ["127.0.0.1", ...Array.from({ length: NAMES }, (_, n) => Array.from({ length: ADDRESSES_PER_NAME }, (_, i) => address(n, i))).flat()];
  proxy = await startCountingDnsProxy(addresses, bind.server);
});

afterAll(async () => {
  await Promise.all([proxy?.stop(), bind?.stop()]);
});

const authoritative = (overrides = {}) =>
  verifierFor([`127.0.0.1:${proxy.port}`], { mode: "authoritative", authoritativePort: proxy.port, allowPrivateNameservers: true, timeoutMs: 3000, ...overrides });

describe("authoritative mode against a zone of many nameservers", () => {
  beforeEach(() => proxy.reset());

  it("asks at most 8 nameservers, 2 addresses per NS name, 13 names, and says what it cut", async () => {
    const claim = newClaim("fan.test");
    await bind.update("fan.test", [`update add ${claim.host}. 60 TXT "${claim.txt}"`]);
    const check = await authoritative().verify(claim.request);
    expect(check.outcome).toBe("VERIFIED");
    expect(check.servers).toHaveLength(8);
    // One address of each of the first eight names, before any name's second address.
    // (bind9 rotates each name's A records, so which of its addresses comes first varies.)
    check.servers.forEach((s, n) => expect(s.server).toMatch(new RegExp(`^ns0${n}\\.fan\\.test \\(127\\.0\\.${n + 1}\\.[1-3]\\)$`)));
    expect(check.message).toContain("fan.test has 21 NS names; only the first 13 in alphabetical order were looked up.");
    expect(check.message).toContain("12 more nameserver addresses were not asked: at most 2 are asked per NS name.");
    expect(check.message).toContain("8 of the 25 nameserver addresses of fan.test were asked (at most 8, DNS_MAX_NAMESERVERS).");
    // (The harness adds ns1.fan.test at 127.0.0.1: 21 names, 12 × 2 + 1 addresses among the first 13.)
    // 3 zone candidates and 13 × (A + AAAA) for discovery, TXT and CNAME at 8 nameservers.
    expect(proxy.count()).toBe(3 + 26 + 16);
    expect(proxy.addressesAsked()).toHaveLength(1 + 8);
  });

  it("keeps one verification within 100 queries when every hint probe is sent, and says that hints were cut", async () => {
    const claim = newClaim("fan.test");
    const check = await authoritative().verify(claim.request);
    expect(check.outcome).toBe("RECORD_NOT_FOUND");
    expect(proxy.count()).toBeLessThanOrEqual(MAX_QUERIES_PER_VERIFICATION);
    expect(check.message).toMatch(/\d+ more DNS queries were not sent: one verification sends at most 100, so hints may be incomplete\./);
  });

  it("counts the validating resolvers' own lookups of the record (DNS_RESOLVERS_VALIDATE) against the same 100 queries", async () => {
    const found = newClaim("fan.test");
    await bind.update("fan.test", [`update add ${found.host}. 60 TXT "${found.txt}"`]);
    expect((await authoritative({ resolversValidate: true }).verify(found.request)).outcome).toBe("VERIFIED");
    // As above, plus a TXT and a CNAME query to the one resolver.
    expect(proxy.count()).toBe(3 + 26 + 2 + 16);
    proxy.reset();
    const missing = await authoritative({ resolversValidate: true }).verify(newClaim("fan.test").request);
    expect(missing).toMatchObject({ outcome: "RECORD_NOT_FOUND", dnssec: "INSECURE" });
    expect(proxy.count()).toBeLessThanOrEqual(MAX_QUERIES_PER_VERIFICATION);
  });

  it("follows DNS_MAX_NAMESERVERS", async () => {
    const claim = newClaim("fan.test");
    await bind.update("fan.test", [`update add ${claim.host}. 60 TXT "${claim.txt}"`]);
    const check = await authoritative({ maxNameservers: 3 }).verify(claim.request);
    expect(check.outcome).toBe("VERIFIED");
    expect(check.servers).toHaveLength(3);
  });
});
