import { CallerLimit } from "./caller-limit";
import { checkScope, MAX_LOOKUPS_PER_REQUEST } from "./lookup-scope";

const NONCE = "0123456789abcdef0123";
const ask = (name: string, ...lookups: { host: string; type: string }[]) => ({ name, nonce: NONCE, lookups });

describe("what a perspective looks up", () => {
  it("answers the record host and the hint probes' names, TXT and CNAME only", () => {
    expect(checkScope(ask("api.example.com", { host: "_dnsproof-verify.api.example.com", type: "TXT" }, { host: "_dnsproof-verify.api.example.com", type: "CNAME" }))).toMatchObject({ ok: true });
    // The zone typed twice, the domain itself: where the hints look for misplaced records.
    expect(checkScope(ask("api.example.com", { host: "_dnsproof-verify.api.example.com.example.com", type: "CNAME" }, { host: "api.example.com", type: "TXT" }))).toMatchObject({ ok: true });
  });

  it("answers the persistent record hosts of the name and of each name above it up to the registrable domain, and no higher", () => {
    const persist = (host: string) => checkScope(ask("a.b.example.co.uk", { host, type: "TXT" }));
    for (const host of ["_dnsproof-persist.a.b.example.co.uk", "_dnsproof-persist.b.example.co.uk", "_dnsproof-persist.example.co.uk"]) {
      expect(persist(host)).toMatchObject({ ok: true });
    }
    expect(persist("_dnsproof-persist.co.uk")).toMatchObject({ ok: false, status: 403 });
    expect(persist("_dnsproof-persist.other.example.co.uk")).toMatchObject({ ok: false, status: 403 });
    expect(persist("_dnsproof-persist.x.a.b.example.co.uk")).toMatchObject({ ok: false, status: 403 });
    // A private suffix counts as one: a github.io user's record never covers another's.
    expect(checkScope(ask("www.alice.github.io", { host: "_dnsproof-persist.alice.github.io", type: "TXT" }))).toMatchObject({ ok: true });
    expect(checkScope(ask("www.alice.github.io", { host: "_dnsproof-persist.github.io", type: "TXT" }))).toMatchObject({ ok: false, status: 403 });
  });

  it("refuses other names (403) and malformed requests (400)", () => {
    expect(checkScope(ask("api.example.com", { host: "www.example.com", type: "TXT" }))).toMatchObject({ ok: false, status: 403 });
    expect(checkScope(ask("api.example.com", { host: "_dnsproof-verify.other.example", type: "TXT" }))).toMatchObject({ ok: false, status: 403 });
    expect(checkScope(ask("api.example.com", { host: "_dnsproof-verify.api.example.com", type: "A" }))).toMatchObject({ ok: false, status: 400 });
    expect(checkScope(ask("API.example.com", { host: "_dnsproof-verify.api.example.com", type: "TXT" }))).toMatchObject({ ok: false, status: 400 });
    expect(checkScope({ ...ask("api.example.com", { host: "_dnsproof-verify.api.example.com", type: "TXT" }), nonce: "short" })).toMatchObject({ status: 400 });
    const many = Array.from({ length: MAX_LOOKUPS_PER_REQUEST + 1 }, () => ({ host: "_dnsproof-verify.api.example.com", type: "TXT" }));
    expect(checkScope(ask("api.example.com", ...many))).toMatchObject({ status: 400 });
    expect(checkScope(null)).toMatchObject({ status: 400 });
  });
});

describe("the per-caller limit", () => {
  it("counts each caller on its own, per minute", () => {
    let now = 0;
    const limit = new CallerLimit(2, () => now);
    expect([limit.take("a"), limit.take("a"), limit.take("b")]).toEqual([0, 0, 0]);
    expect(limit.take("a")).toBe(60);
    now = 59_000;
    expect(limit.take("a")).toBe(1);
    now = 60_000;
    expect(limit.take("a")).toBe(0);
  });
});
