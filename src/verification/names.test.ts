import { fitsInDns } from "./names";

describe("fitsInDns", () => {
  it("accepts labels up to 63 octets and names up to 253 characters", () => {
    expect(fitsInDns(`${"a".repeat(63)}.verify.dnsproof.dev`)).toBe(true);
    expect(fitsInDns("_dnsproof-verify.api.example.com.")).toBe(true);
    expect(fitsInDns(Array(4).fill("a".repeat(62)).join("."))).toBe(true);
  });

  it("rejects a 64-character label, empty labels and overlong names", () => {
    expect(fitsInDns(`${"a".repeat(64)}.verify.dnsproof.dev`)).toBe(false);
    expect(fitsInDns("a..b")).toBe(false);
    expect(fitsInDns(Array(5).fill("a".repeat(62)).join("."))).toBe(false);
  });
});
