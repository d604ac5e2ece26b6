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
  const reply: PerspectiveReply =
    typeof seen === "string"
      ? {
          ok: true,
          name,
          region,
          durationMs: 3,
          observations: [
            { server: "127.0.0.1:53", txt: { ok: true, records: [[expectedTxtValue(seen)]] }, cname: { ok: false, failure: "NODATA", code: "ENODATA" }, durationMs: 3 },
          ],
        }
      : { ok: false, name, region: "unknown", reason: seen.reason, durationMs: 3 };
  return { url: `http://${name}`, lookUpRecordHost: async () => reply };
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
