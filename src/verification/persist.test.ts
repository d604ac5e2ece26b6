import fc from "fast-check";
import { judgePersistentValue, parsePersistentRecord, persistHost, renderPersistentRecord, type PersistentRecord } from "./persist";

const ACCOUNT = "https://dnsproof.test/accounts/user-a";
const NOW = new Date("2026-12-06T00:00:00.000Z");
const expected = { issuers: ["dnsproof.test", "old.example"], accountUri: ACCOUNT, fromParent: false, now: NOW };

describe("persistent records", () => {
  it("live at _dnsproof-persist.<name>", () => {
    expect(persistHost("example.com")).toBe("_dnsproof-persist.example.com");
  });

  it("render in the dns-persist-01 order of tags", () => {
    expect(renderPersistentRecord({ issuer: "dnsproof.test", accountUri: ACCOUNT, subtree: true, persistUntil: 1800000000 })).toBe(
      `dnsproof.test; accounturi=${ACCOUNT}; policy=subtree; persistUntil=1800000000`,
    );
    expect(renderPersistentRecord({ issuer: "dnsproof.test", accountUri: ACCOUNT, subtree: false, persistUntil: null })).toBe(`dnsproof.test; accounturi=${ACCOUNT}`);
  });

  it("parse leniently: tags in any case, whitespace anywhere, unknown tags ignored, the issuer's trailing dot dropped", () => {
    expect(parsePersistentRecord(`  DNSProof.Test. ;AccountURI= ${ACCOUNT} ;  x-note=hello ; POLICY = SubTree;persistuntil=1800000000  `)).toEqual({
      issuer: "dnsproof.test",
      accountUri: ACCOUNT,
      subtree: true,
      persistUntil: 1800000000,
    });
  });

  it.each([
    ["no accounturi", "dnsproof.test; policy=subtree"],
    ["no issuer", "; accounturi=x"],
    ["an issuer that is not a name", "dnsproof verification; accounturi=x"],
    ["a persistUntil that is not a number", `dnsproof.test; accounturi=${ACCOUNT}; persistUntil=soon`],
    ["the token record", "dnsproof-verification=0123"],
  ])("refuse a value with %s", (_, value) => {
    expect(parsePersistentRecord(value)).toBeNull();
  });

  it.each([
    ["the claiming account's record under the current issuer", `dnsproof.test; accounturi=${ACCOUNT}`, { ok: true }],
    ["a record under an older issuer name still listed", `old.example; accounturi=${ACCOUNT}`, { ok: true }],
    ["another issuer's record", `ca.example; accounturi=${ACCOUNT}`, { ok: false, reason: "other-issuer" }],
    ["another account's record", "dnsproof.test; accounturi=https://dnsproof.test/accounts/user-b", { ok: false, reason: "other-account" }],
    ["a record whose persistUntil has passed", `dnsproof.test; accounturi=${ACCOUNT}; persistUntil=${NOW.getTime() / 1000}`, { ok: false, reason: "expired" }],
    ["a record whose persistUntil lies ahead", `dnsproof.test; accounturi=${ACCOUNT}; persistUntil=${NOW.getTime() / 1000 + 1}`, { ok: true }],
    ["something else", "v=spf1 -all", { ok: false, reason: "not-a-record" }],
  ])("judge %s", (_, value, verdict) => {
    expect(judgePersistentValue(value, expected)).toMatchObject(verdict);
  });

  it("cover a name under the record's own only with policy=subtree", () => {
    const parent = { ...expected, fromParent: true };
    expect(judgePersistentValue(`dnsproof.test; accounturi=${ACCOUNT}`, parent)).toMatchObject({ ok: false, reason: "not-subtree" });
    expect(judgePersistentValue(`dnsproof.test; accounturi=${ACCOUNT}; policy=subtree`, parent)).toMatchObject({ ok: true });
  });
});

describe("the persistent-record parser, by property", () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  const record: fc.Arbitrary<PersistentRecord> = fc.record({
    issuer: fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join(".")),
    accountUri: fc.webUrl().filter((url) => !url.includes(";")),
    subtree: fc.boolean(),
    persistUntil: fc.option(fc.integer({ min: 0, max: 99_999_999_999 }), { nil: null }),
  });

  it("never throws, whatever a zone holds", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (value) => {
        parsePersistentRecord(value);
      }),
      { numRuns: 2000 },
    );
  });

  it("reads back what it renders", () => {
    fc.assert(fc.property(record, (r) => expect(parsePersistentRecord(renderPersistentRecord(r))).toEqual(r)), { numRuns: 500 });
  });

  it("reads back what it renders with tags in other cases and whitespace around parts", () => {
    fc.assert(
      fc.property(record, fc.constantFrom(" ", "  ", "\t", ""), (r, space) => {
        const shuffled = renderPersistentRecord(r)
          .split("; ")
          .map((part, i) => (i === 0 ? part : part.replace(/^[a-zA-Z]+/, (tag) => tag.toUpperCase())))
          .join(`${space};${space}`);
        expect(parsePersistentRecord(`${space}${shuffled}${space}`)).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });
});
