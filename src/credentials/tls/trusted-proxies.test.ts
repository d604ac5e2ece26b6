import { trustedPeerMatcher } from "./trusted-proxies";

describe("trustedPeerMatcher", () => {
  it.each([
    [["127.0.0.2/32"], "127.0.0.1", false],
    [["127.0.0.2/32"], "127.0.0.2", true],
    [["127.0.0.2/32"], "::ffff:127.0.0.2", true],
    [["127.0.0.2"], "::ffff:127.0.0.1", false],
    [["10.0.0.0/24"], "10.0.0.200", true],
    [["10.0.0.0/24"], "10.0.1.1", false],
    [["loopback"], "::1", true],
    [["loopback"], "::ffff:127.0.0.1", true],
    [["loopback"], "10.0.0.1", false],
    [["uniquelocal"], "192.168.4.4", true],
    [["uniquelocal"], "fd12::1", true],
    [["linklocal"], "169.254.1.1", true],
    [["2001:db8::/32"], "2001:db8::7", true],
    [["2001:db8::/32"], "2001:db9::7", false],
    [["::ffff:10.0.0.0/120"], "10.0.0.9", true],
    [["192.0.2.1, 192.0.2.9".split(", ")[1]], "192.0.2.9", true],
  ])("%j trusts %s: %s", (entries, address, expected) => {
    expect(trustedPeerMatcher(entries)(address)).toBe(expected);
  });

  it("trusts no peer without an address", () => {
    expect(trustedPeerMatcher(["loopback"])(undefined)).toBe(false);
    expect(trustedPeerMatcher(["loopback"])("not an address")).toBe(false);
  });
});
