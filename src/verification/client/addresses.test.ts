import { NON_PUBLIC_IPV4_PREFIXES, NON_PUBLIC_IPV6_PREFIXES, isPublicAddress } from "./addresses";

/** One address inside each prefix, and the first address after it where that is public. */
const IPV4: [prefix: string, inside: string][] = [
  ["0.0.0.0/8", "0.1.2.3"],
  ["10.0.0.0/8", "10.200.0.1"],
  ["100.64.0.0/10", "100.127.255.254"],
  ["127.0.0.0/8", "127.0.0.53"],
  ["169.254.0.0/16", "169.254.169.254"],
  ["172.16.0.0/12", "172.31.0.1"],
  ["192.0.0.0/24", "192.0.0.170"],
  ["192.0.2.0/24", "192.0.2.1"],
  ["192.88.99.0/24", "192.88.99.1"],
  ["192.168.0.0/16", "192.168.1.1"],
  ["198.18.0.0/15", "198.19.255.1"],
  ["198.51.100.0/24", "198.51.100.7"],
  ["203.0.113.0/24", "203.0.113.9"],
  ["224.0.0.0/4", "239.255.255.250"],
  ["240.0.0.0/4", "250.1.1.1"],
  ["255.255.255.255/32", "255.255.255.255"],
];

const IPV6: [prefix: string, inside: string][] = [
  ["::/128", "::"],
  ["::1/128", "::1"],
  ["::/96", "::8.8.8.8"],
  ["::ffff:0:0/96", "::ffff:8.8.8.8"],
  ["64:ff9b::/96", "64:ff9b::10.0.0.1"],
  ["64:ff9b:1::/48", "64:ff9b:1::1"],
  ["100::/64", "100::1"],
  ["100:0:0:1::/64", "100:0:0:1::1"],
  ["2001::/23", "2001:0:4136:e378:8000:63bf:3fff:fdd2"],
  ["2001:db8::/32", "2001:db8::53"],
  ["2002::/16", "2002:c000:0204::1"],
  ["3fff::/20", "3fff::1"],
  ["5f00::/16", "5f00::1"],
  ["fc00::/7", "fd12:3456::1"],
  ["fe80::/10", "fe80::1"],
  ["fec0::/10", "fec0::1"],
  ["ff00::/8", "ff02::1"],
];

describe("isPublicAddress", () => {
  it("has a case for every listed prefix", () => {
    expect(IPV4.map(([prefix]) => prefix)).toEqual(NON_PUBLIC_IPV4_PREFIXES);
    expect(IPV6.map(([prefix]) => prefix)).toEqual(NON_PUBLIC_IPV6_PREFIXES);
  });

  it.each(IPV4)("refuses IPv4 %s (%s)", (_prefix, inside) => {
    expect(isPublicAddress(inside)).toBe(false);
  });

  it.each(IPV6)("refuses IPv6 %s (%s)", (_prefix, inside) => {
    expect(isPublicAddress(inside)).toBe(false);
  });

  it.each(["8.8.8.8", "1.1.1.1", "9.9.9.9", "100.128.0.1", "172.32.0.1", "192.0.3.1", "198.20.0.1", "223.255.255.1", "192.31.196.1"])(
    "accepts public IPv4 %s (BlockList counted every IPv4 address as ::ffff:0:0/96)",
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it.each(["2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2001:200::1"])("accepts public IPv6 %s", (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each(["4000::1", "1::1"])("refuses IPv6 outside 2000::/3, which is unassigned (%s)", (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(["", "example.com", "0x7f.0.0.1", "127.1", "2130706433", "8.8.8", "8.8.8.8.8", "fe80::1%eth0", "2001:4860::8888%1", "::g"])(
    "refuses what is not a plain address (%j)",
    (address) => {
      expect(isPublicAddress(address)).toBe(false);
    },
  );
});
