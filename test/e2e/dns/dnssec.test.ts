/**
 * DNSSEC statuses against real components: BIND 9 serves a signed zone, an unsigned one and a
 * signed one whose trust anchor does not match its key; Unbound validates in front of them.
 */
import { startBind9, type Bind9Server } from "../../support/bind9";
import { startUnbound, type UnboundServer } from "../../support/unbound";
import { newToken, verifierFor } from "./verifier-fixtures";
import { expectedTxtValue, verificationHost } from "../../../src/verification/records";
import type { DomainVerifierOptions } from "../../../src/verification/client";

const token = newToken();
const ZONES = ["signed.test", "plain.test", "broken.test"] as const;
type Zone = (typeof ZONES)[number];
const request = (zone: Zone) => ({ name: `a.${zone}`, token, previousTokens: [] });

let authority: Bind9Server;
let validator: UnboundServer;

beforeAll(async () => {
  const records = [`_dnsproof-verify.a TXT "${expectedTxtValue(token)}"`];
  authority = await startBind9({
    zones: [
      { name: "signed.test", signed: true, records },
      { name: "plain.test", records },
      { name: "broken.test", signed: true, records },
    ],
  });
  // broken.test is anchored to signed.test's key, which it does not publish: a DS that names the wrong key.
  const wrongAnchor = authority.dnskey("signed.test").replace(/^signed\.test\./, "broken.test.");
  validator = await startUnbound({
    zones: [
      { name: "signed.test", nameserver: authority.server, trustAnchor: authority.dnskey("signed.test") },
      { name: "plain.test", nameserver: authority.server },
      { name: "broken.test", nameserver: authority.server, trustAnchor: wrongAnchor },
    ],
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([validator?.stop(), authority?.stop()]);
});

const recursive = (overrides: Partial<DomainVerifierOptions> = {}) => verifierFor([validator.server], overrides);
const authoritative = (overrides: Partial<DomainVerifierOptions> = {}) =>
  verifierFor([validator.server], { mode: "authoritative", authoritativePort: authority.port, allowPrivateNameservers: true, ...overrides });

describe("recursive mode through a validating resolver", () => {
  it.each([
    ["signed.test", "VERIFIED", "SECURE"],
    ["plain.test", "VERIFIED", "INSECURE"],
    ["broken.test", "DNSSEC_BOGUS", "BOGUS"],
  ] as const)("with DNS_RESOLVERS_VALIDATE: %s is %s, %s", async (zone, outcome, dnssec) => {
    const check = await recursive({ resolversValidate: true }).verify(request(zone));
    expect(check).toMatchObject({ outcome, dnssec });
    expect(check.servers.map((point) => point.dnssec)).toEqual([dnssec]);
  });

  it.each([
    ["signed.test", "VERIFIED", "UNVALIDATED"],
    ["plain.test", "VERIFIED", "UNVALIDATED"],
    ["broken.test", "DNSSEC_BOGUS", "BOGUS"],
  ] as const)("without DNS_RESOLVERS_VALIDATE: %s is %s, %s", async (zone, outcome, dnssec) => {
    await expect(recursive().verify(request(zone))).resolves.toMatchObject({ outcome, dnssec });
  });

  it("names the Extended DNS Error of a broken zone and says what to fix", async () => {
    // A fresh resolver: Unbound reports the cause (DNSKEY Missing) once, then "DNSSEC Bogus" from its key cache.
    const fresh = await startUnbound({
      zones: [{ name: "broken.test", nameserver: authority.server, trustAnchor: authority.dnskey("signed.test").replace(/^signed\.test\./, "broken.test.") }],
    });
    const check = await verifierFor([fresh.server], { resolversValidate: true })
      .verify(request("broken.test"))
      .finally(() => fresh.stop());
    expect(check.servers[0]).toMatchObject({ answer: "SERVFAIL", dnssec: "BOGUS" });
    // One for the TXT and one for the CNAME query, each with Unbound's own text.
    expect(check.servers[0].extendedErrors).toContainEqual({ code: 9, name: "DNSKEY Missing", text: expect.stringContaining("trust anchor broken.test.") });
    expect(check.message).toContain(`DNSSEC validation failed for ${verificationHost("a.broken.test")} at ${fresh.server}: `);
    expect(check.message).toContain("DNSKEY Missing (Extended DNS Error 9): validation failure <_dnsproof-verify.a.broken.test. ");
    expect(check.message).toMatch(/fix the DS record at the registrar .*, or re-sign the zone\.$/);
    expect(check.hints).toEqual([expect.stringMatching(/^The DS record at the registrar names a DNSKEY the zone of .* does not publish/)]);
  });

  it("never verifies a BOGUS zone, even when another vantage point serves the token", async () => {
    const check = await verifierFor([validator.server, authority.server], { resolversValidate: true, quorum: 1 }).verify(request("broken.test"));
    expect(check.servers.map(({ answer, dnssec }) => ({ answer, dnssec }))).toEqual([
      { answer: "SERVFAIL", dnssec: "BOGUS" },
      { answer: "FOUND", dnssec: "INSECURE" },
    ]);
    expect(check).toMatchObject({ outcome: "DNSSEC_BOGUS", dnssec: "BOGUS", method: null });
  });

  it.each([
    ["signed.test", "VERIFIED"],
    ["plain.test", "DNSSEC_INSECURE"],
    ["broken.test", "DNSSEC_BOGUS"],
  ] as const)("with DNSSEC_POLICY=require-secure: %s is %s", async (zone, outcome) => {
    const check = await recursive({ resolversValidate: true, dnssecPolicy: "require-secure" }).verify(request(zone));
    expect(check.outcome).toBe(outcome);
    if (outcome === "DNSSEC_INSECURE") expect(check.message).toContain("the zone is not signed with DNSSEC");
  });

  it("refuses require-secure without resolvers trusted to validate", () => {
    expect(() => recursive({ dnssecPolicy: "require-secure" })).toThrow(/needs DNS_RESOLVERS_VALIDATE=true/);
  });
});

describe("authoritative mode", () => {
  it.each([
    ["signed.test", "VERIFIED", "SECURE"],
    ["plain.test", "VERIFIED", "INSECURE"],
    ["broken.test", "DNSSEC_BOGUS", "BOGUS"],
  ] as const)("with DNS_RESOLVERS_VALIDATE the resolvers give the status: %s is %s, %s", async (zone, outcome, dnssec) => {
    const check = await authoritative({ resolversValidate: true }).verify(request(zone));
    expect(check).toMatchObject({ outcome, dnssec });
    // The zone's own nameserver validates nothing.
    if (zone !== "broken.test") expect(check.servers).toEqual([expect.objectContaining({ server: `ns1.${zone} (127.0.0.1)`, answer: "FOUND", dnssec: "UNVALIDATED" })]);
  });

  it("without DNS_RESOLVERS_VALIDATE the check is UNVALIDATED, and a BOGUS zone still never verifies", async () => {
    await expect(authoritative().verify(request("signed.test"))).resolves.toMatchObject({ outcome: "VERIFIED", dnssec: "UNVALIDATED" });
    await expect(authoritative().verify(request("plain.test"))).resolves.toMatchObject({ outcome: "VERIFIED", dnssec: "UNVALIDATED" });
    await expect(authoritative().verify(request("broken.test"))).resolves.toMatchObject({ outcome: "DNSSEC_BOGUS", dnssec: "BOGUS" });
  });

  it("with require-secure verifies only the signed zone", async () => {
    const verifier = authoritative({ resolversValidate: true, dnssecPolicy: "require-secure" });
    const outcomes = await Promise.all(ZONES.map(async (zone) => (await verifier.verify(request(zone))).outcome));
    expect(outcomes).toEqual(["VERIFIED", "DNSSEC_INSECURE", "DNSSEC_BOGUS"]);
  });
});
