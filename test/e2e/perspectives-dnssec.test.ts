/**
 * Remote perspectives and DNSSEC together, real processes only: BIND 9 serves a signed zone and a
 * signed zone whose trust anchor does not match its key; Unbound validates in front of them; five
 * `dnsproof perspective` processes with DNS_RESOLVERS_VALIDATE=true ask it, and one of them asks a
 * second Unbound whose trust anchor for the signed zone is wrong, as a resolver on a tampered path
 * (or a misconfigured one) would be.
 */
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import * as dnsPacket from "dns-packet";
import { startBind9, type Bind9Server } from "../support/bind9";
import { startUnbound, type UnboundServer } from "../support/unbound";
import { spawnPerspective, type PerspectiveProcess } from "../support/perspective-process";
import { startTestApp, type TestApp } from "../support/test-app";

const SIGNED = "signed.test";
const BROKEN = "broken.test";
const SECRET = "perspective-dnssec-secret-0123456789abcdef";
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { host value } } userErrors { code message } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) {
  domain { status }
  check { outcome dnssec message perspectives { name region answer dnssec corroborates error } corroboration { asked corroborating required regions requiredRegions } }
  userErrors { code } } }`;
const REGIONS = ["ARIN", "RIPE", "APNIC", "ARIN", "RIPE"];
const VALIDATING = { DNS_RESOLVERS_VALIDATE: "true" };

let authority: Bind9Server;
/** Validates both zones with the right anchor for signed.test, the wrong one for broken.test. */
let validator: UnboundServer;
/** Anchors signed.test to another zone's key: everything it answers there is BOGUS. */
let skewed: UnboundServer;
const perspectives: PerspectiveProcess[] = [];
const primaries: TestApp[] = [];
/** Asks p1 to p4, which all see what the primary sees. */
let agreeing: TestApp;
/** Asks all five, with the default quorum: 4 of 5. */
let outvoting: TestApp;
/** Asks all five, and needs every one of them (DNS_PERSPECTIVE_QUORUM=5). */
let unanimous: TestApp;

beforeAll(async () => {
  authority = await startBind9({ zones: [{ name: SIGNED, signed: true }, { name: BROKEN, signed: true }] });
  // broken.test is anchored to signed.test's key, and the skewed resolver signed.test to broken.test's.
  const anchor = (zone: string, as: string) => authority.dnskey(zone).replace(new RegExp(`^${zone.replace(".", "\\.")}\\.`), `${as}.`);
  [validator, skewed] = await Promise.all([
    startUnbound({
      zones: [
        { name: SIGNED, nameserver: authority.server, trustAnchor: authority.dnskey(SIGNED) },
        { name: BROKEN, nameserver: authority.server, trustAnchor: anchor(SIGNED, BROKEN) },
      ],
    }),
    startUnbound({ zones: [{ name: SIGNED, nameserver: authority.server, trustAnchor: anchor(BROKEN, SIGNED) }] }),
  ]);
  const resolverOf = (i: number) => (i === 4 ? skewed : validator).server;
  perspectives.push(
    ...(await Promise.all(
      REGIONS.map((region, i) => spawnPerspective({ name: `p${i + 1}`, region, resolver: resolverOf(i), secret: SECRET, env: VALIDATING })),
    )),
  );
  const primary = (asked: PerspectiveProcess[], env: Record<string, string> = {}) =>
    startTestApp({
      env: {
        ...VALIDATING,
        DNS_SERVERS: validator.server,
        DNS_TIMEOUT_MS: "2500",
        DNS_PERSPECTIVES: asked.map((p) => p.url).join(","),
        DNS_PERSPECTIVE_SECRET: SECRET,
        ...env,
      },
    });
  [agreeing, outvoting, unanimous] = await Promise.all([
    primary(perspectives.slice(0, 4)),
    primary(perspectives),
    primary(perspectives, { DNS_PERSPECTIVE_QUORUM: "5" }),
  ]);
  primaries.push(agreeing, outvoting, unanimous);
}, 80_000);

afterAll(async () => {
  await Promise.all(primaries.map((primary) => primary.close()));
  await Promise.all(perspectives.map((p) => p.stop()));
  await Promise.all([validator?.stop(), skewed?.stop()]);
  await authority?.stop();
}, 30_000);

let seq = 0;
const fresh = (zone: string) => `d${process.pid}-${++seq}.${zone}`;

/** Claims `name` on `primary` and publishes its token in the zone, signed, before anyone asks. */
async function claimAndPublish(primary: TestApp, zone: string): Promise<{ id: string; token: string }> {
  const token = await primary.token("owner");
  const result = await primary.gql(CLAIM, { name: fresh(zone) }, { token });
  expect(result.body.data.claimDomain.userErrors).toEqual([]);
  const { id, txtRecord } = result.body.data.claimDomain.domain;
  await authority.update(zone, [`update add ${txtRecord.host}. 60 TXT "${txtRecord.value}"`]);
  await signedCopyCarries(txtRecord.host);
  return { id, token };
}

const verify = async (primary: TestApp, { id, token }: { id: string; token: string }) => (await primary.gql(VERIFY, { id }, { token })).body.data.verifyDomain;
const byName = (check: any) => check.perspectives.map((p: any) => [p.name, p.answer, p.dnssec, p.corroborates]);

describe("remote perspectives behind validating resolvers", () => {
  it("verifies a signed zone's claim that every perspective saw SECURE", async () => {
    const result = await verify(agreeing, await claimAndPublish(agreeing, SIGNED));
    expect(result.check).toMatchObject({ outcome: "VERIFIED", dnssec: "SECURE" });
    expect(result.domain.status).toBe("VERIFIED");
    expect(byName(result.check)).toEqual([
      ["p1", "FOUND", "SECURE", true],
      ["p2", "FOUND", "SECURE", true],
      ["p3", "FOUND", "SECURE", true],
      ["p4", "FOUND", "SECURE", true],
    ]);
    expect(result.check.perspectives.every((p: any) => p.error === null)).toBe(true);
    expect(result.check.corroboration).toEqual({ asked: 4, corroborating: 4, required: 3, regions: ["APNIC", "ARIN", "RIPE"], requiredRegions: 2 });
    expect(result.check.message).toContain("Corroborated: 4 of 4 remote perspectives in 3 regions saw it.");
  });

  it("never verifies a BOGUS zone: the primary's answer decides, and no perspective corroborates", async () => {
    const result = await verify(agreeing, await claimAndPublish(agreeing, BROKEN));
    expect(result.check).toMatchObject({ outcome: "DNSSEC_BOGUS", dnssec: "BOGUS" });
    expect(result.domain.status).toBe("PENDING");
    expect(result.check.message).toContain("DNSSEC validation failed for _dnsproof-verify.");
    expect(result.check.message).toMatch(/fix the DS record at the registrar .*, or re-sign the zone\.$/);
    expect(byName(result.check)).toEqual([
      ["p1", "SERVFAIL", "BOGUS", false],
      ["p2", "SERVFAIL", "BOGUS", false],
      ["p3", "SERVFAIL", "BOGUS", false],
      ["p4", "SERVFAIL", "BOGUS", false],
    ]);
    expect(result.check.corroboration).toMatchObject({ asked: 4, corroborating: 0 });
  });
});

describe("one perspective whose resolver finds the signed zone BOGUS", () => {
  const dissent = "p5 (RIPE): its resolver found the zone's DNSSEC signatures BOGUS";
  const seen = [
    ["p1", "FOUND", "SECURE", true],
    ["p2", "FOUND", "SECURE", true],
    ["p3", "FOUND", "SECURE", true],
    ["p4", "FOUND", "SECURE", true],
    ["p5", "SERVFAIL", "BOGUS", false],
  ];

  it("is outvoted at the default quorum: the claim verifies, and the message names it", async () => {
    const result = await verify(outvoting, await claimAndPublish(outvoting, SIGNED));
    expect(result.check).toMatchObject({ outcome: "VERIFIED", dnssec: "SECURE" });
    expect(result.domain.status).toBe("VERIFIED");
    expect(byName(result.check)).toEqual(seen);
    expect(result.check.corroboration).toEqual({ asked: 5, corroborating: 4, required: 4, regions: ["APNIC", "ARIN", "RIPE"], requiredRegions: 2 });
    expect(result.check.message).toContain(`Corroborated: 4 of 5 remote perspectives in 3 regions saw it. Not seen by ${dissent}.`);
  });

  it("holds the claim back when every perspective must corroborate", async () => {
    const result = await verify(unanimous, await claimAndPublish(unanimous, SIGNED));
    expect(result.check).toMatchObject({ outcome: "NOT_CORROBORATED", dnssec: "SECURE" });
    expect(result.domain.status).toBe("PENDING");
    expect(byName(result.check)).toEqual(seen);
    expect(result.check.corroboration).toMatchObject({ asked: 5, corroborating: 4, required: 5 });
    expect(result.check.message).toContain("only 4 of 5 remote perspectives saw it, and 5 must");
    expect(result.check.message).toContain(`Not seen by ${dissent}.`);
  });
});

/** BIND signs a dynamic update a moment after accepting it: waits until the TXT at `host` comes with its RRSIG. */
async function signedCopyCarries(host: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const answers = await askAuthority(host);
    if (answers.some((record) => record.type === "RRSIG") && answers.some((record) => record.type === "TXT")) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${host} was not signed within 5 s`);
}

function askAuthority(host: string): Promise<dnsPacket.Answer[]> {
  const id = randomBytes(2).readUInt16BE(0);
  const query = dnsPacket.encode({
    type: "query",
    id,
    flags: 0,
    questions: [{ name: host, type: "TXT", class: "IN" }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }],
  });
  const socket = dgram.createSocket("udp4");
  return new Promise((resolve) => {
    const done = (answers: dnsPacket.Answer[]) => {
      clearTimeout(timer);
      socket.close();
      resolve(answers);
    };
    const timer = setTimeout(() => done([]), 300);
    socket.on("error", () => done([]));
    socket.on("message", (reply: Buffer) => {
      const decoded = dnsPacket.decode(reply);
      if (decoded.id === id) done(decoded.answers ?? []);
    });
    socket.send(query, authority.port, "127.0.0.1");
  });
}
