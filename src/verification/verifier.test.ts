import { DomainScope } from "../shared/domain-scope";
import {
  canStillVerify,
  classifyVantagePoint,
  decideOutcome,
  decideVerification,
  discoveryFailure,
  expectedRecords,
  majorityQuorum,
  type QueryFailure,
  type QueryResult,
  type VantagePointObservation,
  type VerificationInput,
} from "./verifier";
import type { DnsAnswer } from "./types";

const TOKEN = "0123456789abcdef".repeat(4);
const TXT = `dnsproof-verification=${TOKEN}`;
const TARGET = `${TOKEN}.verify.dnsproof.dev`;
/** The contract's target has a 64-octet label; this two-label form is what a panel accepts. */
const SPLIT_TARGET = `${TOKEN.slice(0, 32)}.${TOKEN.slice(32)}.verify.dnsproof.dev`;
const HOST = "_dnsproof-verify.api.example.com";
const NOW = new Date("2026-11-22T10:00:00.000Z");
const request = { name: "api.example.com", token: TOKEN, previousTokens: [] };
const expected = expectedRecords(request, "verify.dnsproof.dev");

const ok = <T>(...records: T[]): QueryResult<T> => ({ ok: true, records });
const fail = (failure: QueryFailure, code = `E${failure}`): QueryResult<never> => ({ ok: false, failure, code });
const nx = fail("NXDOMAIN", "ENOTFOUND");
const nodata = fail("NODATA", "ENODATA");

function point(server: string, txt: QueryResult<string[]>, cname: QueryResult<string> = nodata): VantagePointObservation {
  return { server, txt, cname, durationMs: 12 };
}
const hasTxt = (server: string) => point(server, ok([TXT]));
const missing = (server: string) => point(server, nx, nx);
const timedOut = (server: string) => point(server, fail("TIMEOUT", "ETIMEOUT"), fail("TIMEOUT", "ETIMEOUT"));

function decide(observations: VantagePointObservation[], overrides: Partial<VerificationInput> = {}) {
  return decideVerification({
    request,
    cnameZone: "verify.dnsproof.dev",
    quorum: majorityQuorum(observations.length),
    vantagePointKind: "resolver",
    timeoutMs: 500,
    observations,
    probes: null,
    now: NOW,
    ...overrides,
  });
}

describe("normalization of what a vantage point returns", () => {
  it.each([
    ["split into chunks", [["dnsproof-verification=", TOKEN.slice(0, 30), TOKEN.slice(30)]]],
    ["wrapped in literal quotes", [[`"${TXT}"`]]],
    ["quoted across chunks", [['"dnsproof-', `verification=${TOKEN}"`]]],
    ["padded with whitespace", [[`  ${TXT}\t`]]],
    ["quoted and padded", [[` " ${TXT} " `]]],
  ])("finds a TXT value %s", (_, records) => {
    const result = classifyVantagePoint(point("r", ok(...records)), expected);
    expect(result.answer).toBe("FOUND");
    expect(result.values).toEqual([TXT]);
  });

  it("compares the token exactly", () => {
    expect(classifyVantagePoint(point("r", ok([TXT.toUpperCase()])), expected).answer).toBe("OTHER_VALUES");
    expect(classifyVantagePoint(point("r", ok([`${TXT}x`])), expected).answer).toBe("OTHER_VALUES");
  });

  it("only strips one pair of quotes", () => {
    expect(classifyVantagePoint(point("r", ok([`""${TXT}""`])), expected).answer).toBe("OTHER_VALUES");
  });

  it.each([TARGET.toUpperCase(), `${TARGET}.`, ` ${TARGET.replace("verify", "VERIFY")}. `])(
    "finds the CNAME target %s whatever its case and trailing dot",
    (target) => {
      const result = classifyVantagePoint(point("r", nodata, ok(target)), expected);
      expect(result.answer).toBe("FOUND");
      expect(result.values).toEqual([TARGET]);
    },
  );

  it("honours a custom CNAME zone, case-insensitively", () => {
    const custom = expectedRecords(request, "Proof.Example.NET.");
    expect(classifyVantagePoint(point("r", nodata, ok(`${TOKEN}.proof.example.net`)), custom).answer).toBe("FOUND");
  });
});

describe("one vantage point's answer from its TXT and CNAME lookups", () => {
  const cases: [string, DnsAnswer, QueryResult<string[]>, QueryResult<string>][] = [
    ["TXT found, CNAME lookup failed", "FOUND", ok([TXT]), fail("SERVFAIL")],
    ["CNAME found, TXT lookup timed out", "FOUND", fail("TIMEOUT"), ok(TARGET)],
    ["both lookups: no such name", "NXDOMAIN", nx, nx],
    ["name exists without either record", "NODATA", nodata, nodata],
    ["one lookup saw the name, the other did not", "NODATA", nx, nodata],
    ["only other TXT values", "OTHER_VALUES", ok(["v=spf1 -all"]), nodata],
    ["a CNAME elsewhere", "OTHER_VALUES", nodata, ok("elsewhere.example.net")],
    ["other values, but the CNAME lookup timed out", "TIMEOUT", ok(["v=spf1 -all"]), fail("TIMEOUT")],
    ["no such name, but the CNAME lookup was refused", "REFUSED", nx, fail("REFUSED")],
    ["TXT SERVFAIL, CNAME no such name", "SERVFAIL", fail("SERVFAIL"), nx],
    ["an unexpected error", "ERROR", fail("ERROR", "ECONNREFUSED"), nx],
  ];
  it.each(cases)("%s → %s", (_, answer, txt, cname) => {
    expect(classifyVantagePoint(point("r", txt, cname), expected).answer).toBe(answer);
  });

  it("lists TXT values before CNAME targets, each once", () => {
    const result = classifyVantagePoint(point("r", ok(["a"], ["a"], ["b"]), ok("Target.Example.")), expected);
    expect(result.values).toEqual(["a", "b", "target.example"]);
  });
});

describe("quorum", () => {
  it("defaults to a majority", () => {
    expect([1, 2, 3, 4, 5].map(majorityQuorum)).toEqual([1, 2, 2, 3, 3]);
  });

  it.each<[DnsAnswer[], number, string]>([
    [["FOUND"], 1, "VERIFIED"],
    [["NXDOMAIN"], 1, "RECORD_NOT_FOUND"],
    [["NODATA"], 1, "RECORD_NOT_FOUND"],
    [["OTHER_VALUES"], 1, "VALUE_MISMATCH"],
    [["TIMEOUT"], 1, "DNS_ERROR"],
    [["SERVFAIL"], 1, "DNS_ERROR"],
    [["REFUSED"], 1, "DNS_ERROR"],
    [["ERROR"], 1, "DNS_ERROR"],
    [["FOUND", "FOUND", "TIMEOUT"], 2, "VERIFIED"],
    [["FOUND", "FOUND", "SERVFAIL"], 2, "VERIFIED"],
    [["NXDOMAIN", "NXDOMAIN", "TIMEOUT"], 2, "RECORD_NOT_FOUND"],
    [["FOUND", "FOUND", "NXDOMAIN"], 2, "VERIFIED"],
    [["FOUND", "FOUND", "NXDOMAIN"], 3, "DNS_ERROR"],
    [["FOUND", "NXDOMAIN", "NXDOMAIN"], 2, "RECORD_NOT_FOUND"],
    [["FOUND", "NXDOMAIN", "TIMEOUT"], 2, "DNS_ERROR"],
    [["NXDOMAIN", "OTHER_VALUES", "FOUND"], 2, "VALUE_MISMATCH"],
    [["NODATA", "NXDOMAIN", "FOUND"], 2, "RECORD_NOT_FOUND"],
    [["TIMEOUT", "TIMEOUT", "FOUND"], 2, "DNS_ERROR"],
    [["FOUND", "NXDOMAIN", "NXDOMAIN"], 1, "VERIFIED"],
  ])("%j with quorum %i → %s", (answers, quorum, outcome) => {
    expect(decideOutcome(answers, quorum)).toBe(outcome);
  });

  it("one silent vantage point never flips the result", () => {
    for (const answer of ["FOUND", "NXDOMAIN", "OTHER_VALUES"] as DnsAnswer[]) {
      const agreed = decideOutcome([answer, answer, answer], 2);
      expect(decideOutcome([answer, answer, "TIMEOUT"], 2)).toBe(agreed);
      expect(decideOutcome(["SERVFAIL", answer, answer], 2)).toBe(agreed);
    }
  });

  it("knows when VERIFIED is out of reach", () => {
    expect(canStillVerify([], 3, 2)).toBe(true);
    expect(canStillVerify(["NXDOMAIN"], 2, 2)).toBe(true);
    expect(canStillVerify(["NXDOMAIN", "TIMEOUT"], 1, 2)).toBe(false);
    expect(canStillVerify(["FOUND", "NXDOMAIN"], 1, 2)).toBe(true);
    expect(canStillVerify(["FOUND", "NXDOMAIN"], 0, 2)).toBe(false);
  });
});

describe("decideVerification", () => {
  it("verifies through one resolver and names the record", () => {
    const check = decide([hasTxt("127.0.0.1:53")]);
    expect(check).toMatchObject({ outcome: "VERIFIED", method: "TXT", checkedAt: NOW, foundValues: [TXT], hints: [] });
    expect(check.servers).toEqual([{ server: "127.0.0.1:53", answer: "FOUND", values: [TXT], durationMs: 12, dnssec: "UNVALIDATED", extendedErrors: [] }]);
    expect(check.message).toBe(`Verified: ${HOST} has the TXT record ${TXT}.`);
  });

  it("verifies by CNAME and says so", () => {
    const check = decide([point("a", nodata, ok(`${TARGET}.`)), point("b", nodata, ok(TARGET)), point("c", nodata, ok(TARGET))]);
    expect(check).toMatchObject({ outcome: "VERIFIED", method: "CNAME", foundValues: [TARGET] });
    expect(check.message).toBe(`Verified: ${HOST} has the CNAME record to ${TARGET} on all 3 resolvers.`);
  });

  it("verifies by the two-label CNAME a DNS panel accepts", () => {
    const check = decide([point("a", nodata, ok(`${SPLIT_TARGET}.`))]);
    expect(check).toMatchObject({ outcome: "VERIFIED", method: "CNAME", foundValues: [SPLIT_TARGET] });
    expect(check.message).toBe(`Verified: ${HOST} has the CNAME record to ${SPLIT_TARGET}.`);
  });

  it("prefers TXT when both records match", () => {
    expect(decide([point("a", ok([TXT]), ok(TARGET))]).method).toBe("TXT");
  });

  it("verifies 2 of 3 when one resolver times out, and says which", () => {
    const check = decide([hasTxt("127.0.0.1:5301"), timedOut("127.0.0.1:5302"), hasTxt("127.0.0.1:5303")]);
    expect(check.outcome).toBe("VERIFIED");
    expect(check.servers.map((s) => s.answer)).toEqual(["FOUND", "TIMEOUT", "FOUND"]);
    expect(check.message).toBe(
      `Verified: 2 of 3 resolvers serve the TXT record ${TXT} at ${HOST}, and 2 are enough; 127.0.0.1:5302 did not answer within the 500 ms limit.`,
    );
  });

  it("verifies when a lagging nameserver does not have the record yet, naming it", () => {
    const check = decide([hasTxt("ns1 (10.0.0.1)"), hasTxt("ns2 (10.0.0.2)"), missing("ns3 (127.0.0.1:5355)")], {
      vantagePointKind: "nameserver",
    });
    expect(check.outcome).toBe("VERIFIED");
    expect(check.message).toContain("2 of 3 nameservers serve");
    expect(check.message).toContain("ns3 (127.0.0.1:5355) does not have it yet (it may still serve an older copy of the zone)");
  });

  it("concludes nothing when all must agree and one lags", () => {
    const check = decide([hasTxt("a"), hasTxt("b"), missing("127.0.0.1:5355")], { quorum: 3, vantagePointKind: "nameserver" });
    expect(check.outcome).toBe("DNS_ERROR");
    expect(check.method).toBeNull();
    expect(check.message).toBe(
      `Nothing was concluded about ${HOST}: 2 of 3 nameservers serve the record but 127.0.0.1:5355 does not have it yet ` +
        `(it may still serve an older copy of the zone), and all 3 must agree; try again once every nameserver has the latest copy of the zone.`,
    );
  });

  it("says where to publish when the record is missing everywhere", () => {
    const check = decide([missing("a")]);
    expect(check).toMatchObject({ outcome: "RECORD_NOT_FOUND", method: null, foundValues: [] });
    expect(check.message).toBe(
      `No TXT or CNAME record exists at ${HOST} yet: add a TXT record there with the value ${TXT} (or a CNAME to ${SPLIT_TARGET}).`,
    );
  });

  it("offers the CNAME in the contract's form when its token fits in one label", () => {
    const token = TOKEN.slice(0, 32);
    const check = decide([missing("a")], { request: { ...request, token } });
    expect(check.message).toBe(
      `No TXT or CNAME record exists at ${HOST} yet: add a TXT record there with the value dnsproof-verification=${token} ` +
        `(or a CNAME to ${token}.verify.dnsproof.dev).`,
    );
  });

  it("reports the record as missing when most resolvers lack it, and who has it", () => {
    const check = decide([missing("a"), missing("b"), hasTxt("c")]);
    expect(check.outcome).toBe("RECORD_NOT_FOUND");
    expect(check.message).toBe(
      `2 of 3 resolvers find no TXT or CNAME record at ${HOST} (c serves it): it has not reached every resolver yet, so try again shortly.`,
    );
  });

  it("matches verbs to counts and groups vantage points that say the same", () => {
    const check = decide([hasTxt("a"), missing("b"), missing("c"), timedOut("d"), timedOut("e")], { quorum: 4 });
    expect(check.outcome).toBe("DNS_ERROR");
    expect(check.message).toBe(
      `Nothing was concluded about ${HOST}: 1 of 5 resolvers serves the record but b and c do not have it yet ` +
        `(they may still serve an older copy of the zone) and d and e did not answer within the 500 ms limit, and 4 of 5 must agree; ` +
        `try again once every resolver has the latest copy of the zone.`,
    );
    expect(decide([missing("a"), hasTxt("b"), timedOut("c")], { quorum: 1 }).message).toContain("Verified: 1 of 3 resolvers serves");
  });

  it("reports the record as missing when one of three is silent", () => {
    const check = decide([missing("a"), timedOut("b"), missing("c")]);
    expect(check.outcome).toBe("RECORD_NOT_FOUND");
    expect(check.message).toContain("2 of 3 resolvers find no TXT or CNAME record");
    expect(check.message).toContain("b did not answer within the 500 ms limit");
    expect(check.message).toContain(`add a TXT record there with the value ${TXT}`);
  });

  it("shows the wrong TXT value and the exact one to set", () => {
    const check = decide([point("a", ok(["dnsproof-verification=oops"]), nodata)]);
    expect(check).toMatchObject({ outcome: "VALUE_MISMATCH", method: null, foundValues: ["dnsproof-verification=oops"] });
    expect(check.message).toBe(
      `${HOST} has the TXT value "dnsproof-verification=oops" but not the expected value: change the TXT value to exactly ${TXT}.`,
    );
  });

  it("shows a wrong CNAME target and what to publish instead", () => {
    const check = decide([point("a", nodata, ok("Elsewhere.Example.net."))]);
    expect(check.outcome).toBe("VALUE_MISMATCH");
    expect(check.foundValues).toEqual(["elsewhere.example.net"]);
    expect(check.message).toBe(
      `${HOST} has a CNAME to elsewhere.example.net but not the expected value: point the CNAME to ${SPLIT_TARGET}, or replace it with a TXT record of value ${TXT}.`,
    );
    const token = TOKEN.slice(0, 32);
    expect(decide([point("a", nodata, ok("elsewhere.example.net"))], { request: { ...request, token } }).message).toBe(
      `${HOST} has a CNAME to elsewhere.example.net but not the expected value: point the CNAME to ${token}.verify.dnsproof.dev, ` +
        `or replace it with a TXT record of value dnsproof-verification=${token}.`,
    );
  });

  it("collects every value seen, across vantage points, in first-seen order", () => {
    const check = decide([point("a", ok(["x"], ["y"])), point("b", ok(["y"], [`"${TXT}"`])), point("c", ok(["z"]))]);
    expect(check.foundValues).toEqual(["x", "y", TXT, "z"]);
  });

  it("names each failure when nothing answered", () => {
    const check = decide([
      timedOut("127.0.0.1:1"),
      timedOut("127.0.0.1:2"),
      point("127.0.0.1:3", fail("REFUSED", "EREFUSED"), fail("REFUSED", "EREFUSED")),
    ]);
    expect(check.outcome).toBe("DNS_ERROR");
    expect(check.message).toBe(
      `Nothing was concluded about ${HOST}: none of the 3 resolvers gave an answer (127.0.0.1:1 and 127.0.0.1:2 did not answer within ` +
        `the 500 ms limit and 127.0.0.1:3 refused the query), and 2 of 3 must agree; try again later.`,
    );
  });

  it("names the error code of a resolver that could not be asked", () => {
    const check = decide([point("127.0.0.1:9", fail("ERROR", "ECONNREFUSED"), fail("ERROR", "ECONNREFUSED"))]);
    expect(check.message).toBe(`Nothing was concluded about ${HOST}: 127.0.0.1:9 could not be asked (ECONNREFUSED); try again later.`);
  });

  it("says SERVFAIL plainly", () => {
    expect(decide([point("r", fail("SERVFAIL"), fail("SERVFAIL"))]).message).toContain("r answered SERVFAIL");
  });

  it("turns a discovery failure into DNS_ERROR with the reason", () => {
    const check = discoveryFailure(request, "acme.test does not exist in DNS, so it has no nameservers to ask", NOW);
    expect(check).toMatchObject({ outcome: "DNS_ERROR", method: null, servers: [], foundValues: [], checkedAt: NOW });
    expect(check.message).toBe(
      `Nothing was concluded about ${HOST}: acme.test does not exist in DNS, so it has no nameservers to ask; try again later.`,
    );
  });

  it("gives no hints when verified, even with probes", () => {
    const probes = { hosts: { "api.example.com": { txt: [TXT], cname: [] } }, negativeCaching: [] };
    expect(decide([hasTxt("a")], { probes }).hints).toEqual([]);
  });
});

describe("a SUBTREE claim's record host", () => {
  const subtree = { ...request, scope: DomainScope.SUBTREE };

  it("is _dnsproof-subtree.<name>, named in the message", () => {
    expect(expectedRecords(subtree, "verify.dnsproof.dev").host).toBe("_dnsproof-subtree.api.example.com");
    const check = decide([missing("a")], { request: subtree });
    expect(check.message).toContain("_dnsproof-subtree.api.example.com");
  });

  it("is never the EXACT one: the same token record decides the same, wherever the adapter found it", () => {
    // The adapter asks only the scope's host; what it returns there is judged on the token alone.
    expect(decide([hasTxt("a")], { request: subtree })).toMatchObject({ outcome: "VERIFIED", method: "TXT", message: expect.stringContaining("_dnsproof-subtree.") });
  });
});

describe("DNSSEC", () => {
  const signed = <T>(result: QueryResult<T>, dnssec: "SECURE" | "INSECURE" | "UNVALIDATED"): QueryResult<T> => ({ ...result, dnssec, extendedErrors: [] });
  const dnskeyMissing = { code: 9, name: "DNSKEY Missing", text: "no DNSKEY matches the DS" };
  const bogus = (server: string) =>
    point(
      server,
      { ...fail("SERVFAIL", "SERVFAIL"), dnssec: "BOGUS", extendedErrors: [dnskeyMissing] },
      { ...fail("SERVFAIL", "SERVFAIL"), dnssec: "BOGUS", extendedErrors: [dnskeyMissing] },
    );

  it("gives each vantage point the status of the lookup that matched, and the check SECURE only when every counted answer is", () => {
    const secure = point("a", signed(ok([TXT]), "SECURE"), signed(nodata, "SECURE"));
    const insecure = point("b", signed(ok([TXT]), "INSECURE"), signed(nodata, "INSECURE"));
    expect(decide([secure]).servers[0]).toMatchObject({ answer: "FOUND", dnssec: "SECURE", extendedErrors: [] });
    expect(decide([secure]).dnssec).toBe("SECURE");
    expect(decide([secure, insecure]).dnssec).toBe("INSECURE");
    // A vantage point that timed out did not count.
    expect(decide([secure, timedOut("c")], { quorum: 1 }).dnssec).toBe("SECURE");
  });

  it("never verifies when a vantage point says BOGUS, though the others serve the token", () => {
    const check = decide([hasTxt("a"), hasTxt("b"), bogus("c")]);
    expect(check).toMatchObject({ outcome: "DNSSEC_BOGUS", method: null, dnssec: "BOGUS" });
    expect(check.servers[2]).toMatchObject({ answer: "SERVFAIL", dnssec: "BOGUS", extendedErrors: [dnskeyMissing] });
    expect(check.message).toBe(
      `DNSSEC validation failed for ${HOST} at c: DNSKEY Missing (Extended DNS Error 9): no DNSKEY matches the DS. ` +
        "Nothing is concluded from a zone whose signatures do not validate, and waiting will not fix it: " +
        "fix the DS record at the registrar so it matches a key the zone publishes, or re-sign the zone.",
    );
    expect(check.hints).toEqual([expect.stringContaining("The DS record at the registrar names a DNSKEY the zone of")]);
  });

  it("under require-secure turns a verified but not SECURE check into DNSSEC_INSECURE", () => {
    const insecure = point("a", signed(ok([TXT]), "INSECURE"));
    const check = decide([insecure], { dnssecPolicy: "require-secure" });
    expect(check).toMatchObject({ outcome: "DNSSEC_INSECURE", method: null, dnssec: "INSECURE" });
    expect(check.message).toContain("the zone is not signed with DNSSEC");
    expect(decide([point("a", signed(ok([TXT]), "SECURE"))], { dnssecPolicy: "require-secure" }).outcome).toBe("VERIFIED");
  });

  it("in authoritative mode takes the check's status from the validating resolvers asked beside the nameservers", () => {
    const nameserver = point("ns1.example.com (192.0.2.1)", ok([TXT]));
    const resolver = point("127.0.0.1:53", signed(ok([TXT]), "SECURE"), signed(nodata, "SECURE"));
    const check = decide([nameserver], { vantagePointKind: "nameserver", validatedBy: [resolver] });
    expect(check).toMatchObject({ outcome: "VERIFIED", dnssec: "SECURE" });
    expect(check.servers[0].dnssec).toBe("UNVALIDATED");
    expect(decide([nameserver], { vantagePointKind: "nameserver", validatedBy: [bogus("127.0.0.1:53")] }).outcome).toBe("DNSSEC_BOGUS");
    expect(decide([nameserver], { vantagePointKind: "nameserver" }).dnssec).toBe("UNVALIDATED");
  });

  it("reports a zone whose NS records a validating resolver refused as BOGUS rather than a DNS error", () => {
    const check = discoveryFailure(request, "127.0.0.1:53 answered SERVFAIL", NOW, [bogus("127.0.0.1:53")]);
    expect(check).toMatchObject({ outcome: "DNSSEC_BOGUS", dnssec: "BOGUS" });
    expect(discoveryFailure(request, "127.0.0.1:53 answered SERVFAIL", NOW, null)).toMatchObject({ outcome: "DNS_ERROR", dnssec: "UNVALIDATED" });
  });
});

describe("Extended DNS Errors outside DNSSEC", () => {
  it("names the resolver's reason for a SERVFAIL in the message", () => {
    const unreachable = { code: 22, name: "No Reachable Authority", text: null };
    const servfail = { ...fail("SERVFAIL", "SERVFAIL"), dnssec: "UNVALIDATED" as const, extendedErrors: [unreachable] };
    const check = decide([point("a", servfail, servfail)]);
    expect(check).toMatchObject({ outcome: "DNS_ERROR", dnssec: "UNVALIDATED" });
    expect(check.message).toBe(`Nothing was concluded about ${HOST}: a answered SERVFAIL (No Reachable Authority); try again later.`);
  });
});
