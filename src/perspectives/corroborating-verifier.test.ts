import { expectedTxtValue } from "../verification/records";
import type { DnssecStatus, DomainVerifier, VerificationCheckData, VerificationRequest } from "../verification/types";
import type { VantagePointObservation } from "../verification/verifier";
import { perspectiveResult, withCorroboration } from "./corroborating-verifier";
import type { PerspectiveClient, PerspectiveReply } from "./perspective-client";

const TOKEN = "a".repeat(64);
const OTHER = "b".repeat(64);
const request: VerificationRequest = { name: "shop.example.com", token: TOKEN, previousTokens: [] };

function localVerifier(outcome: VerificationCheckData["outcome"]): DomainVerifier {
  return {
    verify: async () => ({ outcome, method: outcome === "VERIFIED" ? "TXT" : null, checkedAt: new Date(0), message: "Verified locally.", foundValues: [], hints: [], servers: [], dnssec: "UNVALIDATED" }),
  };
}

/** A perspective that serves `token` in `region`, or fails with `reason`. */
function perspective(name: string, region: string, seen: string | { reason: string }): PerspectiveClient {
  return txtPerspective(name, region, typeof seen === "string" ? expectedTxtValue(seen) : seen);
}

/** A perspective whose resolver returns the TXT value `seen` at whatever host it is asked about, or fails with `reason`. */
function txtPerspective(name: string, region: string, seen: string | { reason: string }, asked: string[] = []): PerspectiveClient {
  const reply: PerspectiveReply =
    typeof seen === "string"
      ? {
          ok: true,
          name,
          region,
          durationMs: 3,
          observations: [
            { server: "127.0.0.1:53", txt: { ok: true, records: [[seen]] }, cname: { ok: false, failure: "NODATA", code: "ENODATA" }, durationMs: 3 },
          ],
        }
      : { ok: false, name, region: "unknown", reason: seen.reason, durationMs: 3 };
  return {
    url: `http://${name}`,
    lookUpRecordHost: async (_name, host) => {
      asked.push(host);
      return reply;
    },
  };
}

const options = { timeoutMs: 1000, cnameZone: "verify.dnsproof.dev" };

describe("withCorroboration", () => {
  it("verifies when enough perspectives in enough regions saw the token", async () => {
    const verifier = withCorroboration(
      localVerifier("VERIFIED"),
      [perspective("a", "ARIN", TOKEN), perspective("b", "RIPE", TOKEN), perspective("c", "RIPE", OTHER)],
      options,
    );
    const check = await verifier.verify(request);
    expect(check.outcome).toBe("VERIFIED");
    expect(check.corroboration).toEqual({ asked: 3, corroborating: 2, required: 2, regions: ["ARIN", "RIPE"], requiredRegions: 2 });
    expect(check.perspectives!.map((p) => [p.name, p.answer, p.corroborates])).toEqual([
      ["a", "FOUND", true],
      ["b", "FOUND", true],
      ["c", "OTHER_VALUES", false],
    ]);
    expect(check.message).toBe("Verified locally. Corroborated: 2 of 3 remote perspectives in 2 regions saw it. Not seen by c (RIPE): it saw other values, not this claim's token.");
  });

  it("holds a new verification back when too few saw it, naming who and why", async () => {
    const verifier = withCorroboration(
      localVerifier("VERIFIED"),
      [perspective("a", "ARIN", TOKEN), perspective("b", "RIPE", OTHER), perspective("c", "APNIC", { reason: "bad signature: altered" })],
      options,
    );
    const check = await verifier.verify(request);
    expect(check.outcome).toBe("NOT_CORROBORATED");
    expect(check.method).toBeNull();
    expect(check.message).toContain("only 1 of 3 remote perspectives saw it, and 2 must");
    expect(check.message).toContain("b (RIPE): it saw other values");
    expect(check.message).toContain("c: bad signature: altered");
  });

  it("keeps a re-check VERIFIED when perspectives are down, and records them", async () => {
    const down = { reason: "unreachable (ECONNREFUSED)" };
    const verifier = withCorroboration(localVerifier("VERIFIED"), [perspective("a", "ARIN", down), perspective("b", "RIPE", down)], options);
    const check = await verifier.verify({ ...request, recheck: true });
    expect(check.outcome).toBe("VERIFIED");
    expect(check.corroboration).toMatchObject({ asked: 2, corroborating: 0 });
    expect(check.message).toContain("Only 0 of 2 remote perspectives");
  });

  it("leaves a local failure as it is, with the perspectives recorded", async () => {
    const verifier = withCorroboration(localVerifier("RECORD_NOT_FOUND"), [perspective("a", "ARIN", TOKEN)], options);
    const check = await verifier.verify(request);
    expect(check.outcome).toBe("RECORD_NOT_FOUND");
    expect(check.perspectives).toHaveLength(1);
  });
});

describe("perspectiveResult's DNSSEC status", () => {
  /** One of the perspective's resolvers: the token in TXT with `txt` status, no CNAME with `cname` status. */
  const resolver = (server: string, txt: DnssecStatus, cname: DnssecStatus = txt): VantagePointObservation => ({
    server,
    txt: { ok: true, records: [[expectedTxtValue(TOKEN)]], dnssec: txt },
    cname: { ok: false, failure: "NODATA", code: "NOERROR", dnssec: cname },
    durationMs: 3,
  });
  const statusOf = (...observations: VantagePointObservation[]) =>
    perspectiveResult({ ok: true, name: "p", region: "ARIN", observations, durationMs: 3 }, request, options.cnameZone);

  it("combines its resolvers as the check combines its own: SECURE only if every one was", () => {
    expect(statusOf(resolver("r1", "SECURE"), resolver("r2", "SECURE"))).toMatchObject({ dnssec: "SECURE", corroborates: true });
    expect(statusOf(resolver("r1", "SECURE"), resolver("r2", "INSECURE"))).toMatchObject({ dnssec: "INSECURE", corroborates: true });
    // The lookup that found the token decides, as for a local vantage point.
    expect(statusOf(resolver("r1", "SECURE", "UNVALIDATED"))).toMatchObject({ dnssec: "SECURE" });
  });

  it("is BOGUS, and never corroborates, when any resolver found the zone BOGUS", () => {
    const bogus: VantagePointObservation = { server: "r3", txt: { ok: false, failure: "SERVFAIL", code: "SERVFAIL", dnssec: "BOGUS" }, cname: { ok: false, failure: "SERVFAIL", code: "SERVFAIL", dnssec: "BOGUS" }, durationMs: 3 };
    expect(statusOf(resolver("r1", "SECURE"), resolver("r2", "SECURE"), bogus)).toMatchObject({ answer: "FOUND", dnssec: "BOGUS", corroborates: false });
  });
});

describe("withCorroboration of a persistent record", () => {
  const ACCOUNT_RECORD = "dnsproof.dev; accounturi=https://dnsproof.dev/accounts/owner";
  const FORGED_RECORD = "dnsproof.dev; accounturi=https://dnsproof.dev/accounts/attacker";
  const PERSIST_HOST = "_dnsproof-persist.example.com";
  const claim: VerificationRequest = { ...request, accountId: "owner" };

  /** What the persistent layer returns when a parent's record verified the claim, with the record it rests on. */
  function persistentLocal(value: string, seenHosts: string[] = []): DomainVerifier {
    return {
      verify: async (asked) => {
        seenHosts.push(asked.host ?? "(token record)");
        return {
          outcome: "VERIFIED",
          method: "PERSISTENT",
          checkedAt: new Date(0),
          message: `Verified: ${PERSIST_HOST} has the persistent record ${value}.`,
          foundValues: [value],
          hints: [],
          servers: [],
          dnssec: "UNVALIDATED",
          persistentRecord: { host: PERSIST_HOST, value },
        };
      },
    };
  }

  it("asks the perspectives about the persistent record's host and verifies when they see the same value there", async () => {
    const asked: string[] = [];
    const perspectives = ["ARIN", "RIPE", "APNIC"].map((region, i) => txtPerspective(`p${i}`, region, ACCOUNT_RECORD, asked));
    const check = await withCorroboration(persistentLocal(ACCOUNT_RECORD), perspectives, options).verify(claim);
    expect(check).toMatchObject({ outcome: "VERIFIED", method: "PERSISTENT", corroboration: { asked: 3, corroborating: 3 } });
    expect(check.message).toContain("Corroborated: 3 of 3 remote perspectives in 3 regions saw it.");
    // First the token record host, in parallel with the local lookups, then the persistent record's.
    expect(asked.sort()).toEqual([...Array(3).fill(PERSIST_HOST), ...Array(3).fill("_dnsproof-verify.shop.example.com")].sort());
    // Internal: consumed here, never stored.
    expect(check).not.toHaveProperty("persistentRecord");
  });

  it("holds back a forged persistent record the perspectives do not see, naming its host", async () => {
    const perspectives = [txtPerspective("a", "ARIN", FORGED_RECORD), txtPerspective("b", "RIPE", ACCOUNT_RECORD), txtPerspective("c", "APNIC", { reason: "unreachable (ECONNREFUSED)" })];
    const check = await withCorroboration(persistentLocal(FORGED_RECORD), perspectives, options).verify(claim);
    expect(check).toMatchObject({ outcome: "NOT_CORROBORATED", method: null, corroboration: { asked: 3, corroborating: 1, required: 2 } });
    expect(check.message).toContain(`this server found the record at ${PERSIST_HOST}, but only 1 of 3 remote perspectives saw it`);
    expect(check.perspectives!.map((p) => [p.name, p.answer, p.corroborates])).toEqual([
      ["a", "FOUND", true],
      ["b", "OTHER_VALUES", false],
      ["c", "ERROR", false],
    ]);
  });

  it("records, and never holds back, the re-check of a domain verified by a persistent record", async () => {
    const down = { reason: "unreachable (ECONNREFUSED)" };
    const check = await withCorroboration(persistentLocal(ACCOUNT_RECORD), [txtPerspective("a", "ARIN", down), txtPerspective("b", "RIPE", down)], options).verify({
      ...claim,
      recheck: true,
    });
    expect(check).toMatchObject({ outcome: "VERIFIED", method: "PERSISTENT", corroboration: { asked: 2, corroborating: 0 } });
    expect(check.message).toContain("Only 0 of 2 remote perspectives");
  });

  it("holds back a PERSISTENT check that does not say which record it rests on", async () => {
    const silent: DomainVerifier = { verify: async (asked) => ({ ...(await persistentLocal(ACCOUNT_RECORD).verify(asked)), persistentRecord: undefined }) };
    const check = await withCorroboration(silent, [txtPerspective("a", "ARIN", ACCOUNT_RECORD)], options).verify(claim);
    expect(check.outcome).toBe("NOT_CORROBORATED");
  });

  it("leaves a lookup at a given host (part of another check) to the local verifier alone", async () => {
    const asked: string[] = [];
    const seen: string[] = [];
    const verifier = withCorroboration(persistentLocal(ACCOUNT_RECORD, seen), [txtPerspective("a", "ARIN", ACCOUNT_RECORD, asked)], options);
    const check = await verifier.verify({ name: "example.com", token: "", previousTokens: [], host: PERSIST_HOST, hints: false });
    expect(asked).toEqual([]);
    expect(seen).toEqual([PERSIST_HOST]);
    expect(check.corroboration).toBeUndefined();
  });

  it("gives a second round what is left of the time, and at least a quarter of it", async () => {
    let clock = 0;
    const timeouts: number[] = [];
    const timed: PerspectiveClient = {
      url: "http://t",
      lookUpRecordHost: async (_name, host, timeoutMs) => {
        timeouts.push(timeoutMs);
        return (await txtPerspective("t", "ARIN", ACCOUNT_RECORD).lookUpRecordHost(_name, host, timeoutMs));
      },
    };
    const slowLocal = (elapsed: number): DomainVerifier => ({
      verify: async (asked) => {
        clock += elapsed;
        return persistentLocal(ACCOUNT_RECORD).verify(asked);
      },
    });
    await withCorroboration(slowLocal(300), [timed], { ...options, now: () => clock }).verify(claim);
    await withCorroboration(slowLocal(900), [timed], { ...options, now: () => clock }).verify(claim);
    expect(timeouts).toEqual([1000, 700, 1000, 250]);
  });
});
