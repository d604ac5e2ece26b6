import { ancestorNames, carvedOutNote, coveringClaim, isUnder, planInheritance, planOrphaning } from "./inheritance";
import { DomainStatus } from "../shared/domain-status";
import { DomainScope } from "../shared/domain-scope";
import { Domain } from "./domain.entity";
import { AuditAction, AuditReason, SYSTEM_ACTOR } from "../audit/audit.types";
import { toGlobalId } from "../graphql/global-id";

const NOW = new Date("2026-12-06T00:00:00.000Z");
const LATER = new Date("2027-01-01T00:00:00.000Z");
const claimOf = (name: string, fields: Partial<Domain> = {}): Domain =>
  Object.assign(new Domain(), {
    id: `id-${name}`,
    accountId: "acct",
    name,
    scope: DomainScope.EXACT,
    status: DomainStatus.PENDING,
    inheritedFromId: null,
    verifiedName: null,
    verifiedAt: null,
    tokenExpiresAt: LATER,
    ...fields,
  });

describe("names in the tree", () => {
  it.each([
    ["a.example.com", "example.com", true],
    ["a.b.example.com", "example.com", true],
    ["example.com", "example.com", false],
    ["badexample.com", "example.com", false],
  ])("%s under %s: %s", (name, parent, under) => {
    expect(isUnder(name, parent)).toBe(under);
  });

  it("lists the names above a name, nearest first", () => {
    expect(ancestorNames("a.b.example.com")).toEqual(["b.example.com", "example.com", "com"]);
  });
});

describe("which claim covers a name", () => {
  const verifiedTree = (name: string) => claimOf(name, { scope: DomainScope.SUBTREE, status: DomainStatus.VERIFIED, verifiedName: name });

  it("is the nearest VERIFIED SUBTREE claim above it", () => {
    const claims = [verifiedTree("example.com"), verifiedTree("eu.example.com")];
    expect(coveringClaim("api.eu.example.com", claims, NOW)?.name).toBe("eu.example.com");
  });

  it("is never an EXACT claim, an unverified one, or the name itself", () => {
    const claims = [
      claimOf("example.com", { status: DomainStatus.VERIFIED }),
      claimOf("eu.example.com", { scope: DomainScope.SUBTREE, status: DomainStatus.PENDING }),
      verifiedTree("api.eu.example.com"),
    ];
    expect(coveringClaim("api.eu.example.com", claims, NOW)).toBeNull();
  });
});

describe("inheriting and losing the parent", () => {
  const parent = claimOf("example.com", { scope: DomainScope.SUBTREE, status: DomainStatus.VERIFIED });

  it("verifies the child through the parent, with no DNS evidence, audited with the parent's id", () => {
    const plan = planInheritance(claimOf("app.example.com"), parent, NOW, SYSTEM_ACTOR, "req");
    expect(plan.changes).toMatchObject({ status: DomainStatus.VERIFIED, verifiedName: "app.example.com", inheritedFromId: parent.id, verifiedAt: NOW, nextCheckAt: null });
    expect(plan.changes.lastCheck).toMatchObject({ outcome: "VERIFIED", method: "INHERITED", servers: [], foundValues: [] });
    expect(plan.entry).toMatchObject({ action: AuditAction.VERIFICATION_SUCCEEDED, previousStatus: DomainStatus.PENDING, newStatus: DomainStatus.VERIFIED });
    expect(plan.entry.message).toContain(toGlobalId("Domain", parent.id));
  });

  it("revokes the child with a fresh token window and an entry of its own", () => {
    const child = claimOf("app.example.com", { status: DomainStatus.VERIFIED, verifiedName: "app.example.com", inheritedFromId: parent.id });
    const plan = planOrphaning(child, parent, "transferred", NOW, 1000, null);
    expect(plan.changes).toMatchObject({ status: DomainStatus.REVOKED, verifiedName: null, inheritedFromId: null, tokenExpiresAt: new Date(NOW.getTime() + 1000) });
    expect(plan.entry).toMatchObject({ action: AuditAction.DOMAIN_REVOKED, reason: AuditReason.SUBTREE_PARENT_LOST, domain: child });
    expect(plan.entry.message).toContain("transferred");
  });

  it("says how many names are carved out, never whose", () => {
    expect(carvedOutNote(0)).toBeNull();
    expect(carvedOutNote(1)).toBe("1 name under it is verified by another account and not covered by this domain.");
    expect(carvedOutNote(3)).toBe("3 names under it are verified by another account and not covered by this domain.");
  });
});
