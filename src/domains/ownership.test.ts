import { decideOwnership } from "./ownership";
import { DomainStatus } from "../shared/domain-status";
import { expectedCnameTarget, expectedTxtValue } from "../verification/records";

const ZONE = "verify.dnsproof.test";
const mine = { id: "a", status: DomainStatus.PENDING, token: "mine", accountId: "alice" };
const holder = { id: "b", status: DomainStatus.VERIFIED, token: "theirs", accountId: "bob" };

describe("decideOwnership", () => {
  it("changes nothing for a check that did not verify", () => {
    expect(decideOwnership({ outcome: "RECORD_NOT_FOUND", foundValues: [expectedTxtValue("theirs")] }, [mine, holder], "a", ZONE)).toEqual({ kind: "keep" });
  });

  it("changes nothing when nobody else holds the name verified", () => {
    const others = [mine, { ...holder, status: DomainStatus.FAILED }];
    expect(decideOwnership({ outcome: "VERIFIED", foundValues: [expectedTxtValue("mine")] }, others, "a", ZONE)).toEqual({ kind: "keep" });
  });

  it("does not count the claim itself as its holder", () => {
    const verifiedMine = { ...mine, status: DomainStatus.VERIFIED };
    expect(decideOwnership({ outcome: "VERIFIED", foundValues: [expectedTxtValue("mine")] }, [verifiedMine], "a", ZONE)).toEqual({ kind: "keep" });
  });

  it("is blocked by a holder whose TXT or CNAME record is still published", () => {
    for (const published of [expectedTxtValue("theirs"), expectedCnameTarget("theirs", ZONE)]) {
      expect(decideOwnership({ outcome: "VERIFIED", foundValues: [expectedTxtValue("mine"), published] }, [mine, holder], "a", ZONE)).toEqual({
        kind: "blockedByHolder",
        holder,
      });
    }
  });

  it("revokes a holder whose record is gone", () => {
    expect(decideOwnership({ outcome: "VERIFIED", foundValues: [expectedTxtValue("mine")] }, [mine, holder], "a", ZONE)).toEqual({ kind: "revokeHolder", holder });
  });

  it("keeps the name with a holder whose persistent record is still published, whatever the new claim's record", () => {
    const foundValues = ["dnsproof.test; accounturi=https://dnsproof.test/accounts/alice", "dnsproof.test; accounturi=https://dnsproof.test/accounts/bob"];
    expect(decideOwnership({ outcome: "VERIFIED", foundValues }, [mine, holder], "a", ZONE)).toEqual({ kind: "blockedByHolder", holder });
    expect(decideOwnership({ outcome: "VERIFIED", foundValues: foundValues.slice(0, 1) }, [mine, holder], "a", ZONE)).toEqual({ kind: "revokeHolder", holder });
  });

  it("keeps the name with a holder verified by a persistent record against a check that did not look at persistent records", () => {
    const persistentHolder = { ...holder, lastCheck: { method: "PERSISTENT" } };
    const tokenCheck = { outcome: "VERIFIED" as const, method: "TXT" as const, foundValues: [expectedTxtValue("mine")] };
    expect(decideOwnership(tokenCheck, [mine, persistentHolder], "a", ZONE)).toEqual({ kind: "blockedByHolder", holder: persistentHolder });
    const persistentCheck = { outcome: "VERIFIED" as const, method: "PERSISTENT" as const, foundValues: ["dnsproof.test; accounturi=https://dnsproof.test/accounts/alice"] };
    expect(decideOwnership(persistentCheck, [mine, persistentHolder], "a", ZONE)).toEqual({ kind: "revokeHolder", holder: persistentHolder });
  });
});
