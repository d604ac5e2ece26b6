import { Authenticator, MAX_EMAIL_LENGTH, claimedEmail, identityTooLong } from "./authenticator";
import { mintToken } from "./dev-credentials";
import { MAX_ACCOUNT_ID_LENGTH } from "../shared/principal";

const SECRET = "unit-secret-0123456789abcdef0123456789abcdef";
const auth = { jwtSecret: SECRET, adminUserIds: [], adminEmails: [], adminAllowApiKeys: false, devSecretFile: "" };

describe("identities longer than the columns that keep them", () => {
  it("accept a sub and an account id up to the width, and refuse one character more", () => {
    const fits = "s".repeat(MAX_ACCOUNT_ID_LENGTH);
    expect(identityTooLong(fits, fits)).toBeNull();
    expect(identityTooLong(`${fits}x`, "short")).toMatch(/"sub" claim is longer than 191/);
    expect(identityTooLong("short", `oidc:${fits}`)).toMatch(/account id is longer than 191/);
  });

  it("refuse a token whose sub or account_id does not fit, with the message a bad token gets", async () => {
    const authenticator = new Authenticator(auth);
    const longSub = await mintToken(SECRET, { sub: "u".repeat(300) });
    const longAccount = await mintToken(SECRET, { sub: "user", account_id: "a".repeat(MAX_ACCOUNT_ID_LENGTH + 1) });
    expect(await authenticator.authenticate(`Bearer ${longSub}`)).toEqual({ principal: null, problem: expect.stringContaining('"sub" claim is longer') });
    expect(await authenticator.authenticate(`Bearer ${longAccount}`)).toEqual({ principal: null, problem: expect.stringContaining("account id is longer") });
  });

  it("ignore an e-mail claim longer than any address, and keep one that fits", async () => {
    const local = "m".repeat(MAX_EMAIL_LENGTH - "@example.com".length);
    expect(claimedEmail({ email: `${local}@example.com` })).toBe(`${local}@example.com`);
    expect(claimedEmail({ email: `${local}x@example.com` })).toBeNull();
    const authenticator = new Authenticator(auth);
    const token = await mintToken(SECRET, { sub: "user", email: `${local}x@example.com`, email_verified: true });
    expect((await authenticator.authenticate(`Bearer ${token}`)).principal).toMatchObject({ accountId: "user", email: null, trustedEmail: null });
  });
});
