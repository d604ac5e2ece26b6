import type { PerspectiveResult } from "../verification/types";
import { allowedFailures, decideCorroboration, notCorroboratedMessage, requiredCorroborations, UNKNOWN_REGION } from "./corroboration";

function result(name: string, region: string, corroborates: boolean, extra: Partial<PerspectiveResult> = {}): PerspectiveResult {
  return { name, region, answer: corroborates ? "FOUND" : "NXDOMAIN", dnssec: "UNVALIDATED", corroborates, error: null, durationMs: 5, ...extra };
}

describe("corroboration", () => {
  it("allows one failure up to five perspectives and two from six", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(allowedFailures)).toEqual([1, 1, 1, 1, 1, 2, 2, 2]);
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => requiredCorroborations(n))).toEqual([1, 1, 2, 3, 4, 4, 5]);
  });

  it("takes the quorum override, never above the number asked", () => {
    expect(requiredCorroborations(5, 2)).toBe(2);
    expect(requiredCorroborations(3, 7)).toBe(3);
  });

  it("is met exactly at the quorum", () => {
    const regions = ["ARIN", "RIPE", "APNIC", "ARIN", "RIPE"];
    for (let failing = 0; failing <= 5; failing++) {
      const results = regions.map((region, i) => result(`p${i}`, region, i >= failing));
      expect(decideCorroboration(results).met).toBe(failing <= 1);
    }
  });

  it("allows two failures among six", () => {
    const results = [0, 1, 2, 3, 4, 5].map((i) => result(`p${i}`, i % 2 ? "RIPE" : "ARIN", i >= 2));
    expect(decideCorroboration(results)).toEqual({
      met: true,
      corroboration: { asked: 6, corroborating: 4, required: 4, regions: ["ARIN", "RIPE"], requiredRegions: 2 },
    });
    results[2].corroborates = false;
    expect(decideCorroboration(results).met).toBe(false);
  });

  it("needs two regions by default once two are declared, one otherwise", () => {
    const oneRegion = [result("a", "ARIN", true), result("b", "ARIN", true), result("c", "ARIN", true)];
    expect(decideCorroboration(oneRegion).corroboration.requiredRegions).toBe(1);
    expect(decideCorroboration(oneRegion).met).toBe(true);
    // The RIPE perspective does not see it: enough perspectives, but all in one region.
    const twoRegions = [...oneRegion, result("d", "RIPE", false)];
    const decision = decideCorroboration(twoRegions);
    expect(decision.corroboration).toMatchObject({ corroborating: 3, required: 3, regions: ["ARIN"], requiredRegions: 2 });
    expect(decision.met).toBe(false);
    expect(notCorroboratedMessage("_dnsproof-verify.a.test", twoRegions, decision.corroboration)).toContain("are in 1 region (ARIN), and 2 are needed");
  });

  it("ignores unknown regions when choosing the default, and takes the override", () => {
    const results = [result("a", "ARIN", true), result("b", UNKNOWN_REGION, false, { answer: "ERROR", error: "unreachable (ECONNREFUSED)" })];
    expect(decideCorroboration(results).corroboration.requiredRegions).toBe(1);
    expect(decideCorroboration(results, { minRegions: 2 }).met).toBe(false);
  });

  it("names who did not see the token and why", () => {
    const results = [
      result("p1", "ARIN", true),
      result("p2", "RIPE", false),
      result("p3", UNKNOWN_REGION, false, { answer: "ERROR", error: "unreachable (ECONNREFUSED)" }),
      result("p4", "APNIC", false, { answer: "ERROR", error: "bad signature: the answer was not signed with the shared secret" }),
      result("p5", "LACNIC", false, { answer: "SERVFAIL", dnssec: "BOGUS" }),
    ];
    const decision = decideCorroboration(results);
    expect(decision.met).toBe(false);
    const message = notCorroboratedMessage("_dnsproof-verify.a.test", results, decision.corroboration);
    expect(message).toContain("only 1 of 5 remote perspectives saw it, and 4 must");
    expect(message).toContain("p2 (RIPE): record not found");
    expect(message).toContain("p3: unreachable (ECONNREFUSED)");
    expect(message).toContain("p4 (APNIC): bad signature");
    expect(message).toContain("p5 (LACNIC): its resolver found the zone's DNSSEC signatures BOGUS");
  });
});
