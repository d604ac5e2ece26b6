import { domainToASCII } from "node:url";
import { mixesScripts, normalizeDomainName, relativeToRegistrable, unicodeNameOf } from "./domain-name";

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
    [`${Array(60).fill("abcd").join(".")}.com`, /at most 236/],
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

describe("names for people to read", () => {
  it("shows a label that mixes scripts in punycode, as browsers do", () => {
    // "аpple.com" with a Cyrillic а (U+0430).
    const lookalike = normalizeDomainName("\u0430pple.com");
    expect(lookalike).toMatchObject({ ok: true, name: "xn--pple-43d.com", unicodeName: "xn--pple-43d.com" });
    expect(unicodeNameOf("xn--pple-43d.com")).toBe("xn--pple-43d.com");
    expect(mixesScripts("p\u03b1ypal")).toBe(true);
  });

  it("keeps single-script labels and the combinations written together in Unicode", () => {
    expect(unicodeNameOf("xn--bcher-kva.de")).toBe("bücher.de");
    expect(unicodeNameOf(domainToASCII("яндекс.рф"))).toBe("яндекс.рф");
    expect(unicodeNameOf(domainToASCII("ドメイン名例.jp"))).toBe("ドメイン名例.jp");
    expect(unicodeNameOf(domainToASCII("sony系列.jp"))).toBe("sony系列.jp");
    expect(mixesScripts("abc-123")).toBe(false);
  });
});

describe("name length", () => {
  it("refuses names whose record host would not fit in DNS (over 236 characters), saying why", () => {
    const label = "a".repeat(63);
    const fits = `${label}.${label}.${label}.${"b".repeat(40)}.com`;
    expect(fits).toHaveLength(236);
    expect(normalizeDomainName(fits).ok).toBe(true);
    const tooLong = `${label}.${label}.${label}.${"b".repeat(41)}.com`;
    const refused = normalizeDomainName(tooLong);
    expect(refused).toEqual({ ok: false, code: "INVALID_DOMAIN", message: expect.stringContaining("_dnsproof-verify.<name> fits in DNS's 253; this one has 237") });
  });
});
