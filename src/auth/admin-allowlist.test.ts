import { comparableEmail, isAllowlistedAdmin, isEmailVerified, trustedEmailOf } from "./admin-allowlist";

describe("the admin allowlist", () => {
  it("trusts email_verified only when it is true or \"true\"", () => {
    expect([true, "true"].map(isEmailVerified)).toEqual([true, true]);
    expect([false, "false", "TRUE", 1, 0, null, undefined, "yes", {}].map(isEmailVerified)).toEqual(Array(9).fill(false));
  });

  it("lower-cases ASCII only and refuses any other character", () => {
    expect(comparableEmail("Kim@Example.COM")).toBe("kim@example.com");
    expect(comparableEmail("\u212Aim@example.com")).toBeNull();
    expect(comparableEmail("kim@exämple.com")).toBeNull();
    expect(comparableEmail("kim @example.com")).toBeNull();
  });

  it("matches user ids exactly and trusted e-mails case-insensitively in ASCII", () => {
    const lists = { adminUserIds: ["ops-1"], adminEmails: ["Kim@example.com"] };
    expect(isAllowlistedAdmin(lists, "ops-1", null)).toBe(true);
    expect(isAllowlistedAdmin(lists, "OPS-1", null)).toBe(false);
    expect(isAllowlistedAdmin(lists, null, "KIM@EXAMPLE.COM")).toBe(true);
    expect(isAllowlistedAdmin(lists, null, "\u212Aim@example.com")).toBe(false);
    expect(trustedEmailOf({ email: "KIM@example.com", email_verified: "true" })).toBe("kim@example.com");
    expect(trustedEmailOf({ email: "kim@example.com", email_verified: "false" })).toBeNull();
  });
});
