import { checkDnsQuorum, formatDnsServer, parseDnsServer } from "./dns-servers";

describe("DNS server addresses", () => {
  it.each([
    ["127.0.0.1", { address: "127.0.0.1", port: 53, family: 4 }, "127.0.0.1:53"],
    [" 127.0.0.1:5353 ", { address: "127.0.0.1", port: 5353, family: 4 }, "127.0.0.1:5353"],
    ["::1", { address: "::1", port: 53, family: 6 }, "[::1]:53"],
    ["[::1]", { address: "::1", port: 53, family: 6 }, "[::1]:53"],
    ["[::1]:5353", { address: "::1", port: 5353, family: 6 }, "[::1]:5353"],
  ])("reads %s", (spec, parsed, formatted) => {
    expect(parseDnsServer(spec)).toEqual(parsed);
    expect(formatDnsServer(parseDnsServer(spec))).toBe(formatted);
  });

  it("uses the given default port", () => {
    expect(parseDnsServer("127.0.0.1", 5300).port).toBe(5300);
  });

  it.each(["", "localhost", "dns.example:53", "127.0.0.1:0", "127.0.0.1:70000", "[::1]:x", "1.2.3"])("rejects %j", (spec) => {
    expect(() => parseDnsServer(spec)).toThrow(/Not a DNS server address/);
  });
});

describe("DNS quorum", () => {
  it.each([
    [undefined, "recursive", 1],
    [1, "recursive", 1],
    [3, "recursive", 3],
    [5, "authoritative", 1],
  ] as const)("accepts quorum %j in %s mode with %d servers", (quorum, mode, servers) => {
    expect(() => checkDnsQuorum(quorum, mode, servers)).not.toThrow();
  });

  it.each([
    [0, "recursive", 1, /DNS quorum must be a positive integer, not 0/],
    [1.5, "authoritative", 1, /DNS quorum must be a positive integer, not 1.5/],
    [2, "recursive", 1, /DNS quorum 2 cannot be met by 1 DNS servers/],
  ] as const)("refuses quorum %j in %s mode with %d servers", (quorum, mode, servers, message) => {
    expect(() => checkDnsQuorum(quorum, mode, servers)).toThrow(message);
  });
});
