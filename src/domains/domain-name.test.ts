import { normalizeDomainName, relativeToRegistrable } from "./domain-name";

const ok = (input: string) => {
  const result = normalizeDomainName(input);
  if (!result.ok) throw new Error(`expected ${input} to be accepted: ${result.message}`);
  return result;
};
const refused = (input: string) => {
  const result = normalizeDomainName(input);
  if (result.ok) throw new Error(`expected ${input} to be refused`);
  return result;
};

describe("normalizeDomainName", () => {
  it.each([
    ["  Example.COM. ", "example.com"],
    ["api.example.com", "api.example.com"],
    ["bücher.de", "xn--bcher-kva.de"],
    ["BÜCHER.de", "xn--bcher-kva.de"],
    ["alice.github.io", "alice.github.io"],
    ["xn--bcher-kva.de", "xn--bcher-kva.de"],
    ["a-b.c-d.example.co.uk", "a-b.c-d.example.co.uk"],
    ["acme.test", "acme.test"],
  ])("stores %j as %j", (input, name) => {
    expect(ok(input).name).toBe(name);
  });

  it("decodes punycode for display", () => {
    expect(ok("xn--bcher-kva.de").unicodeName).toBe("bücher.de");
  });

  it.each([
    ["", /Enter a domain name/],
    ["   ", /Enter a domain name/],
    ["localhost", /single label/],
    ["com.", /public suffix/],
    ["1.2.3.4", /IP addresses/],
    ["::1", /IP addresses/],
    ["[2001:db8::1]", /IP addresses/],
    ["*.example.com", /Wildcards/],
    ["exa mple.com", /spaces/],
    ["a..example.com", /empty labels/],
    ["-a.example.com", /not a valid label/],
    ["a_b.example.com", /not a valid label/],
    ["https://example.com/path", /without a scheme or path: example.com/],
    ["me@example.com", /e-mail/],
    ["example.123", /numeric/],
    [`${"a".repeat(64)}.com`, /at most 63/],
    [`${Array(60).fill("abcd").join(".")}.com`, /at most 253/],
  ])("refuses %j", (input, message) => {
    const result = refused(input);
    expect(result.message).toMatch(message);
  });

  it.each(["com", "co.uk", "github.io", "blogspot.com"])("refuses the public suffix %s", (input) => {
    expect(refused(input).code).toBe("PUBLIC_SUFFIX");
  });

  it.each(["localhost", "1.2.3.4", "*.example.com", ""])("reports %j as INVALID_DOMAIN", (input) => {
    expect(refused(input).code).toBe("INVALID_DOMAIN");
  });
});

describe("relativeToRegistrable", () => {
  it.each([
    ["_dnsproof-verify.api.example.com", "api.example.com", "_dnsproof-verify.api"],
    ["_dnsproof-verify.example.com", "example.com", "_dnsproof-verify"],
    ["_dnsproof-verify.a.b.example.co.uk", "a.b.example.co.uk", "_dnsproof-verify.a.b"],
    ["_dnsproof-verify.alice.github.io", "alice.github.io", "_dnsproof-verify"],
  ])("%s relative to the zone of %s is %s", (host, name, relative) => {
    expect(relativeToRegistrable(host, name)).toBe(relative);
  });
});
