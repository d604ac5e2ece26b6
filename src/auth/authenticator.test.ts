import { Authenticator } from "./authenticator";
import { mintToken } from "./dev-credentials";

const SECRET = "unit-secret-0123456789abcdef0123456789abcdef";
const auth = { jwtSecret: SECRET, adminUserIds: [], adminEmails: [], adminAllowApiKeys: false, devSecretFile: "" };

describe("a token sent again", () => {
  afterEach(() => jest.useRealTimers());

  it("is the same principal, which nobody can change for the next request", async () => {
    const authenticator = new Authenticator(auth);
    const token = await mintToken(SECRET, { sub: "user-1", email: "u@example.com" });
    const first = await authenticator.authenticate(`Bearer ${token}`);
    const again = await authenticator.authenticate(`Bearer ${token}`);
    expect(first.principal).toMatchObject({ accountId: "user-1", userId: "user-1", email: "u@example.com", via: "jwt" });
    expect(again).toEqual(first);
    expect(Object.isFrozen(again.principal)).toBe(true);
  });

  it("is refused once it has expired, though it verified before", async () => {
    jest.useFakeTimers({ now: new Date("2026-12-01T12:00:00Z"), doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
    const authenticator = new Authenticator(auth);
    const token = await mintToken(SECRET, { sub: "user-2" }, 60);
    expect((await authenticator.authenticate(`Bearer ${token}`)).principal).not.toBeNull();
    // Within the five seconds of leeway after "exp" it still counts, as jose would have it.
    jest.setSystemTime(new Date("2026-12-01T12:01:04Z"));
    expect((await authenticator.authenticate(`Bearer ${token}`)).principal).not.toBeNull();
    jest.setSystemTime(new Date("2026-12-01T12:01:06Z"));
    expect(await authenticator.authenticate(`Bearer ${token}`)).toEqual({ principal: null, problem: "The token has expired; get a new one." });
  });

  it("never stands in for another text: a token altered after one verified is checked, and refused", async () => {
    const authenticator = new Authenticator(auth);
    const token = await mintToken(SECRET, { sub: "user-3" });
    expect((await authenticator.authenticate(`Bearer ${token}`)).principal).not.toBeNull();
    const [header, payload, signature] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), sub: "admin" })).toString("base64url");
    for (let i = 0; i < 2; i++) {
      expect(await authenticator.authenticate(`Bearer ${header}.${forged}.${signature}`)).toEqual({ principal: null, problem: "The token's signature does not verify." });
    }
  });

  it("is not remembered when it failed: a token refused as not yet valid counts once it is", async () => {
    jest.useFakeTimers({ now: new Date("2026-12-01T12:00:00Z"), doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
    const authenticator = new Authenticator(auth);
    const token = await mintToken(SECRET, { sub: "user-4", nbf: Math.floor(Date.now() / 1000) + 60 });
    expect(await authenticator.authenticate(`Bearer ${token}`)).toEqual({ principal: null, problem: "The token is not valid yet." });
    jest.setSystemTime(new Date("2026-12-01T12:01:00Z"));
    expect((await authenticator.authenticate(`Bearer ${token}`)).principal).toMatchObject({ userId: "user-4" });
  });
});
