import { deriveHints, panelName, planProbes, type HintInput, type ProbeObservations } from "./hints";
import { DomainScope } from "../shared/domain-scope";

const TOKEN = "0123456789abcdef".repeat(4);
const OLD = "fedcba9876543210".repeat(4);
const TXT = `dnsproof-verification=${TOKEN}`;
/** Tokens short enough to be a DNS label, so a CNAME to them can exist. */
const SHORT = TOKEN.slice(0, 32);
const SHORT_OLD = OLD.slice(0, 32);
const TARGET = `${TOKEN}.verify.dnsproof.dev`;
const HOST = "_dnsproof-verify.api.example.com";
const NOW = new Date("2026-11-22T10:00:00.000Z");

function hints(overrides: Partial<HintInput> & { probes?: ProbeObservations | null }): string[] {
  return deriveHints({
    request: { name: "api.example.com", token: TOKEN, previousTokens: [OLD] },
    cnameZone: "verify.dnsproof.dev",
    outcome: "VALUE_MISMATCH",
    atRecordHost: { txt: [], cname: [] },
    probes: null,
    now: NOW,
    ...overrides,
  });
}

function probesWith(hosts: ProbeObservations["hosts"], negativeCaching: ProbeObservations["negativeCaching"] = []): ProbeObservations {
  return { hosts, negativeCaching };
}

describe("DNSSEC advice from Extended DNS Errors", () => {
  const ede = (code: number, name: string) => ({ code, name, text: null });

  it.each([
    [7, "Signature Expired", /signatures of the zone of .* have expired: re-sign the zone/],
    [9, "DNSKEY Missing", /The DS record at the registrar names a DNSKEY the zone of .* does not publish/],
    [1, "Unsupported DNSKEY Algorithm", /signed with a DNSKEY algorithm the validating resolver does not support: re-sign it/],
  ])("advises on %i (%s)", (code, name, advice) => {
    expect(hints({ outcome: "DNSSEC_BOGUS", extendedErrors: [ede(code, name), ede(code, name)] })).toEqual([expect.stringMatching(advice)]);
  });

  it("says nothing where the error gives nothing to act on", () => {
    expect(hints({ outcome: "DNSSEC_BOGUS", extendedErrors: [ede(6, "DNSSEC Bogus"), ede(22, "No Reachable Authority")] })).toEqual([]);
  });
});

describe("probe plan", () => {
  it("probes the zone appended twice, the domain itself and near-miss prefixes", () => {
    expect(planProbes("api.example.com")).toEqual({
      zoneTwice: "_dnsproof-verify.api.example.com.example.com",
      domain: "api.example.com",
      wrongPrefixes: [
        "dnsproof-verify.api.example.com",
        "_dnsproof.api.example.com",
        "_dnsproof-verification.api.example.com",
        "_dnsproof_verify.api.example.com",
        "_dnsproof-subtree.api.example.com",
      ],
      otherScope: "_dnsproof-subtree.api.example.com",
    });
  });

  it("probes the EXACT record host for a SUBTREE claim, and names the subtree label in the name field", () => {
    const plan = planProbes("api.example.com", "_dnsproof-subtree.api.example.com");
    expect(plan.otherScope).toBe("_dnsproof-verify.api.example.com");
    expect(plan.zoneTwice).toBe("_dnsproof-subtree.api.example.com.example.com");
    expect(panelName("api.example.com", "_dnsproof-subtree.api.example.com")).toBe("_dnsproof-subtree.api");
  });

  it("uses the registrable domain, private suffixes included", () => {
    expect(planProbes("a.b.example.co.uk").zoneTwice).toBe("_dnsproof-verify.a.b.example.co.uk.example.co.uk");
    expect(planProbes("me.github.io").zoneTwice).toBe("_dnsproof-verify.me.github.io.me.github.io");
  });

  it.each([
    ["api.example.com", "_dnsproof-verify.api"],
    ["example.com", "_dnsproof-verify"],
    ["a.b.example.co.uk", "_dnsproof-verify.a.b"],
    ["x.acme.test", "_dnsproof-verify.x"],
  ])("tells what to type in the name field for %s", (name, field) => {
    expect(panelName(name)).toBe(field);
  });
});

describe("hints from the record host itself", () => {
  it("spots the bare token", () => {
    expect(hints({ atRecordHost: { txt: [TOKEN], cname: [] } })).toEqual([
      `The TXT record at ${HOST} holds the bare token: its value must start with the prefix, ${TXT}.`,
    ]);
  });

  it("spots a previous token of this claim, with or without the prefix", () => {
    for (const value of [`dnsproof-verification=${OLD}`, OLD]) {
      expect(hints({ atRecordHost: { txt: [value], cname: [] } })).toEqual([
        `The TXT record at ${HOST} carries a previous token of this claim (the token was regenerated since): replace "${value}" with ${TXT}.`,
      ]);
    }
  });

  it("spots a previous token in a CNAME target", () => {
    const request = { name: "api.example.com", token: SHORT, previousTokens: [SHORT_OLD] };
    expect(hints({ request, atRecordHost: { txt: [], cname: [`${SHORT_OLD}.verify.dnsproof.dev`] } })).toEqual([
      `The CNAME at ${HOST} points to a previous token of this claim (the token was regenerated since): ` +
        `point it to ${SHORT}.verify.dnsproof.dev, or delete it and add the TXT record dnsproof-verification=${SHORT}.`,
    ]);
  });

  it("spots a value that differs only in case or spacing", () => {
    expect(hints({ atRecordHost: { txt: [`DNSPROOF-verification = ${TOKEN}`], cname: [] } })).toEqual([
      `The TXT value at ${HOST} differs from ${TXT} only in letter case, spaces or quotes; it is compared exactly, so copy it as shown.`,
    ]);
  });

  it("says nothing about unrelated TXT values", () => {
    expect(hints({ atRecordHost: { txt: ["v=spf1 -all", "dnsproof-verification=deadbeef"], cname: [] } })).toEqual([]);
  });

  it("explains that a CNAME elsewhere hides the TXT record", () => {
    const request = { name: "api.example.com", token: SHORT, previousTokens: [] };
    expect(hints({ request, atRecordHost: { txt: [], cname: ["lb.example.net"] } })).toEqual([
      `${HOST} is a CNAME to lb.example.net, which hides any TXT record there (a CNAME excludes every other record at its name) ` +
        `and is not the expected target: point it to ${SHORT}.verify.dnsproof.dev, or delete it and add the TXT record dnsproof-verification=${SHORT}.`,
    ]);
  });

  it("suggests the two-label CNAME target, since the contract's 64-octet label cannot exist in DNS", () => {
    const split = `${TOKEN.slice(0, 32)}.${TOKEN.slice(32)}.verify.dnsproof.dev`;
    expect(hints({ atRecordHost: { txt: [], cname: ["lb.example.net"] } })).toEqual([
      `${HOST} is a CNAME to lb.example.net, which hides any TXT record there (a CNAME excludes every other record at its name) ` +
        `and is not the expected target: point it to ${split}, or delete it and add the TXT record ${TXT}.`,
    ]);
  });

  it("spots a CNAME target with the zone appended", () => {
    const request = { name: "api.example.com", token: SHORT, previousTokens: [] };
    const target = `${SHORT}.verify.dnsproof.dev`;
    expect(hints({ request, atRecordHost: { txt: [], cname: [`${target}.example.com`] } })).toEqual([
      `The CNAME at ${HOST} points to ${target}.example.com: your DNS panel appended example.com to the target, so enter it with a trailing dot: ${target}.`,
    ]);
  });
});

describe("hints from probes", () => {
  it("spots the zone appended twice and says what to type", () => {
    const probes = probesWith({ "_dnsproof-verify.api.example.com.example.com": { txt: [TXT], cname: [] } });
    expect(hints({ outcome: "RECORD_NOT_FOUND", probes })).toEqual([
      `The record is published at _dnsproof-verify.api.example.com.example.com because your DNS panel appends example.com to the name you enter: type only _dnsproof-verify.api in the name field.`,
    ]);
  });

  it("spots the zone appended twice at the apex, CNAME included", () => {
    const probes = probesWith({ "_dnsproof-verify.example.com.example.com": { txt: [], cname: [TARGET] } });
    expect(hints({ request: { name: "example.com", token: TOKEN, previousTokens: [] }, outcome: "RECORD_NOT_FOUND", probes })).toEqual([
      `The record is published at _dnsproof-verify.example.com.example.com because your DNS panel appends example.com to the name you enter: type only _dnsproof-verify in the name field.`,
    ]);
  });

  it("spots the record at the domain itself, ignoring its other TXT records", () => {
    const probes = probesWith({ "api.example.com": { txt: ["v=spf1 -all", TXT], cname: [] } });
    expect(hints({ outcome: "RECORD_NOT_FOUND", probes })).toEqual([
      `The TXT record "${TXT}" is published at api.example.com itself, but it belongs at ${HOST}: enter _dnsproof-verify.api in the name field.`,
    ]);
  });

  it.each(["dnsproof-verify", "_dnsproof", "_dnsproof-verification", "_dnsproof_verify"])("spots the record under the prefix %s", (prefix) => {
    const probes = probesWith({ [`${prefix}.api.example.com`]: { txt: [TOKEN], cname: [] } });
    expect(hints({ outcome: "RECORD_NOT_FOUND", probes })).toEqual([
      `The record is published at ${prefix}.api.example.com, but it must be at ${HOST}: enter _dnsproof-verify.api in the name field.`,
    ]);
  });

  it("spots an EXACT claim's record published at the SUBTREE host, and says which scope each host verifies", () => {
    const probes = probesWith({ "_dnsproof-subtree.api.example.com": { txt: [TXT], cname: [] } });
    expect(hints({ outcome: "RECORD_NOT_FOUND", probes })).toEqual([
      `The record is published at _dnsproof-subtree.api.example.com, which only verifies the whole tree under the name (a SUBTREE claim); this is an EXACT claim, whose record must be at ${HOST}: publish it there, or remove this claim and claim the name again with scope SUBTREE.`,
    ]);
  });

  it("spots a SUBTREE claim's record published at the EXACT host", () => {
    const probes = probesWith({ [HOST]: { txt: [], cname: [TARGET] } });
    const request = { name: "api.example.com", token: TOKEN, previousTokens: [], scope: DomainScope.SUBTREE };
    expect(hints({ request, outcome: "RECORD_NOT_FOUND", probes })).toEqual([
      `The record is published at ${HOST}, which only verifies the name alone (an EXACT claim); this is a SUBTREE claim, whose record must be at _dnsproof-subtree.api.example.com: publish it there, or remove this claim and claim the name again with scope EXACT.`,
    ]);
  });

  it("ignores what a wildcard or unrelated record puts at probed names", () => {
    const probes = probesWith({
      "_dnsproof-verify.api.example.com.example.com": { txt: ["v=spf1 -all"], cname: ["lb.example.net"] },
      "_dnsproof.api.example.com": { txt: ["google-site-verification=abc"], cname: [] },
      "api.example.com": { txt: ["v=spf1 -all"], cname: [] },
    });
    expect(hints({ outcome: "RECORD_NOT_FOUND", probes })).toEqual([]);
  });

  it("gives the negative-caching time and the first instant a retry can succeed", () => {
    const probes = probesWith({}, [{ server: "127.0.0.1:53", zone: "example.com", soaTtl: 3600, soaMinimum: 300, secondsLeft: 300 }]);
    expect(hints({ outcome: "RECORD_NOT_FOUND", probes })).toEqual([
      `Resolvers remember that ${HOST} does not exist for up to 300 seconds (RFC 2308: the lesser of the example.com SOA record's TTL 3600 ` +
        `and its MINIMUM field 300), so once it is published a retry through a caching resolver can first succeed at 2026-11-22T10:05:00.000Z.`,
    ]);
  });

  it("takes the SOA TTL when it is the lesser, and the longest time any resolver still caches", () => {
    const probes = probesWith({}, [
      { server: "a", zone: "example.com", soaTtl: 60, soaMinimum: 3600, secondsLeft: 12 },
      { server: "b", zone: "example.com", soaTtl: 60, soaMinimum: 3600, secondsLeft: 47 },
    ]);
    const [hint] = hints({ outcome: "RECORD_NOT_FOUND", probes });
    expect(hint).toContain("for up to 60 seconds");
    expect(hint).toContain("can first succeed at 2026-11-22T10:00:47.000Z");
  });

  it("falls back to the SOA MINIMUM when the SOA's own TTL is unknown", () => {
    const probes = probesWith({}, [{ server: "a", zone: "example.com", soaTtl: null, soaMinimum: 900, secondsLeft: 900 }]);
    expect(hints({ outcome: "RECORD_NOT_FOUND", probes })[0]).toContain(
      "for up to 900 seconds (RFC 2308: the MINIMUM field 900 of the example.com SOA record)",
    );
  });

  it("gives the negative-caching hint only when the record is missing", () => {
    const probes = probesWith({}, [{ server: "a", zone: "example.com", soaTtl: 60, soaMinimum: 60, secondsLeft: 60 }]);
    expect(hints({ outcome: "VALUE_MISMATCH", probes })).toEqual([]);
    expect(hints({ outcome: "DNS_ERROR", probes })).toEqual([]);
  });

  it("lists several mistakes at once", () => {
    const probes = probesWith({
      "api.example.com": { txt: [TXT], cname: [] },
      "_dnsproof.api.example.com": { txt: [TXT], cname: [] },
    });
    expect(hints({ atRecordHost: { txt: [TOKEN], cname: [] }, probes })).toHaveLength(3);
  });
});
