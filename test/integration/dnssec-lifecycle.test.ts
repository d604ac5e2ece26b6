/**
 * A verified domain whose zone turns BOGUS: the check is inconclusive, the grace period runs,
 * and the evidence (each vantage point's DNSSEC status and Extended DNS Errors) is stored with
 * the claim and its audit entry and read back through the API.
 */
import { type Clock, ManualClock } from "../../src/shared/clock";
import type { DomainVerifier, VerificationCheckData } from "../../src/verification/types";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } } }`;
const CHECK_FIELDS = "outcome message dnssec servers { server answer dnssec extendedErrors { code name text } }";
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { domain { id status failingSince graceEndsAt lastCheck { ${CHECK_FIELDS} } } check { ${CHECK_FIELDS} } } }`;
const AUDIT = `query($d: ID) { auditLog(domainId: $d) { nodes { action graceEndsAt check { ${CHECK_FIELDS} } } } }`;

const START = "2026-11-22T10:00:00.000Z";
const DNSKEY_MISSING = { code: 9, name: "DNSKEY Missing", text: "validation failure: signature missing for trust anchor example.com." };

function bogusCheck(clock: Clock): VerificationCheckData {
  return {
    outcome: "DNSSEC_BOGUS",
    method: null,
    checkedAt: clock.now(),
    message: "DNSSEC validation failed for _dnsproof-verify.example.com at 127.0.0.1:53: DNSKEY Missing (Extended DNS Error 9)",
    foundValues: [],
    hints: [],
    servers: [{ server: "127.0.0.1:53", answer: "SERVFAIL", values: [], durationMs: 4, dnssec: "BOGUS", extendedErrors: [DNSKEY_MISSING] }],
    dnssec: "BOGUS",
  };
}

describe.each(DATABASE_FLAVORS)("DNSSEC failures in the lifecycle on %s", (db) => {
  let t: TestApp;
  const clock = new ManualClock(START);
  let verifier = new ScriptedVerifier(clock);
  const current: DomainVerifier = { verify: (request) => verifier.verify(request) };

  beforeAll(async () => {
    t = await startTestApp({ db, overrides: { clock, verifier: current } });
  });
  afterAll(async () => t?.close());

  it("starts the grace period on a BOGUS re-check of a verified domain, records it as inconclusive, and never revokes at once", async () => {
    const token = await t.token(`dnssec-${db}`);
    const name = `bogus-${db}.example.com`;
    const claimed = (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain.domain;
    verifier.publish(name, [claimed.txtRecord.value.replace("dnsproof-verification=", "")]);
    verifier.dnssec = "SECURE";
    const verified = (await t.gql(VERIFY, { id: claimed.id }, { token })).body.data.verifyDomain;
    expect(verified.check).toMatchObject({ outcome: "VERIFIED", dnssec: "SECURE", servers: [{ dnssec: "SECURE", extendedErrors: [] }] });

    verifier = new ScriptedVerifier(clock, () => bogusCheck(clock));
    const rechecked = (await t.gql(VERIFY, { id: claimed.id }, { token })).body.data.verifyDomain;
    expect(rechecked.domain).toMatchObject({ status: "VERIFIED", failingSince: START, graceEndsAt: expect.any(String) });
    const evidence = { outcome: "DNSSEC_BOGUS", dnssec: "BOGUS", servers: [{ server: "127.0.0.1:53", answer: "SERVFAIL", dnssec: "BOGUS", extendedErrors: [DNSKEY_MISSING] }] };
    expect(rechecked.check).toMatchObject(evidence);
    // Stored with the claim and read back from the database.
    expect(rechecked.domain.lastCheck).toMatchObject(evidence);

    const entries = (await t.gql(AUDIT, { d: claimed.id }, { token })).body.data.auditLog.nodes;
    expect(entries.map((entry: { action: string }) => entry.action).slice(0, 2)).toEqual(["VERIFICATION_INCONCLUSIVE", "GRACE_PERIOD_STARTED"]);
    expect(entries[0].check).toMatchObject(evidence);
    expect(entries.find((entry: { action: string }) => entry.action === "VERIFICATION_SUCCEEDED").check).toMatchObject({ dnssec: "SECURE" });
  });
});
