import net from "node:net";
import { domainToASCII, domainToUnicode } from "node:url";
import { getDomain, getPublicSuffix, parse } from "tldts";

export type DomainNameProblem = "INVALID_DOMAIN" | "PUBLIC_SUFFIX";

export type NormalizedDomainName =
  | { ok: true; name: string; unicodeName: string }
  | { ok: false; code: DomainNameProblem; message: string };

/**
 * 253 octets is DNS's limit for a whole name (RFC 1035 §2.3.4), and the record host adds
 * `_dnsproof-verify.` (17) in front: a longer name could be claimed but never verified.
 */
const MAX_NAME_LENGTH = 236;
const MAX_LABEL_LENGTH = 63;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const PSL = { allowPrivateDomains: true } as const;

const invalid = (message: string): NormalizedDomainName => ({ ok: false, code: "INVALID_DOMAIN", message });

/**
 * The one spelling a name is stored, compared and looked up in: trimmed, without the
 * trailing dot, lower case, internationalized labels in punycode. Every refusal says
 * exactly what is wrong, because people paste URLs, e-mail addresses and typos.
 */
export function normalizeDomainName(input: string): NormalizedDomainName {
  let raw = input.trim();
  if (raw === "") return invalid("Enter a domain name, e.g. example.com.");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) || /[/?#]/.test(raw)) {
    const host = hostOfUrl(raw);
    return invalid(`Enter the domain name alone, without a scheme or path${host ? `: ${host}` : ""}.`);
  }
  if (raw.includes("@")) return invalid("That looks like an e-mail address; enter only the part after the @.");
  const unbracketed = raw.replace(/^\[(.*)\]$/, "$1");
  if (net.isIP(unbracketed) !== 0) return invalid("IP addresses cannot be claimed; enter a domain name.");
  if (raw.endsWith(".")) raw = raw.slice(0, -1);
  if (raw.includes("*")) return invalid("Wildcards cannot be claimed; claim the name itself, e.g. example.com.");
  if (/\s/.test(raw)) return invalid("A domain name cannot contain spaces.");
  if (raw.startsWith(".") || raw.includes("..")) return invalid("A domain name cannot have empty labels (two dots in a row, or a leading dot).");

  if (/\.[0-9]+$/.test(raw)) {
    return invalid(`"${truncate(raw)}" ends in a numeric label; top-level domains are never all digits.`);
  }
  const name = domainToASCII(raw.toLowerCase());
  if (name === "") return invalid(`"${truncate(raw)}" is not a valid domain name.`);
  if (name.length > MAX_NAME_LENGTH) {
    return invalid(
      `A domain name can have at most ${MAX_NAME_LENGTH} characters here, so that its record host _dnsproof-verify.<name> fits in DNS's 253; this one has ${name.length}.`,
    );
  }
  const labels = name.split(".");
  if (labels.length < 2 && isListedSuffix(name)) return publicSuffix(name);
  if (labels.length < 2) {
    return invalid(`"${truncate(raw)}" is a single label; claim a full domain name such as example.com.`);
  }
  for (const label of labels) {
    if (label.length > MAX_LABEL_LENGTH) {
      return invalid(`Each part between dots has at most ${MAX_LABEL_LENGTH} characters; "${truncate(label)}" has ${label.length}.`);
    }
    if (!LABEL.test(label)) {
      return invalid(
        `"${truncate(label)}" is not a valid label: use letters, digits and hyphens, not starting or ending with a hyphen.`,
      );
    }
  }
  if (net.isIP(name) !== 0) return invalid("IP addresses cannot be claimed; enter a domain name.");

  if (getPublicSuffix(name, PSL) === name) return publicSuffix(name);
  return { ok: true, name, unicodeName: unicodeNameOf(name) };
}

function publicSuffix(name: string): NormalizedDomainName {
  return {
    ok: false,
    code: "PUBLIC_SUFFIX",
    message: `"${name}" is a public suffix (anyone can register names under it), so it cannot be claimed; claim a name under it instead.`,
  };
}

/** A single label the Public Suffix List knows (com, uk), as opposed to one it only matches by its catch-all rule (localhost). */
function isListedSuffix(label: string): boolean {
  const parsed = parse(label, PSL);
  return parsed.isIcann === true || parsed.isPrivate === true;
}

/** The registrable domain (eTLD+1, private suffixes such as github.io included) a DNS panel is usually opened for. */
export function registrableDomain(name: string): string {
  return getDomain(name, PSL) ?? name;
}

/** `host` relative to the registrable domain of `name`: what to type in a panel that appends the zone. */
export function relativeToRegistrable(host: string, name: string): string {
  const zone = registrableDomain(name);
  return host === zone ? "@" : host.endsWith(`.${zone}`) ? host.slice(0, -(zone.length + 1)) : host;
}

/**
 * The name for people to read: labels in Unicode, except a label that mixes scripts (a Cyrillic
 * "а" among Latin letters), which stays in punycode, as browsers show it, so a look-alike of
 * another name cannot pass for it.
 */
export function unicodeNameOf(name: string): string {
  return name
    .split(".")
    .map((label) => {
      if (!label.startsWith("xn--")) return label;
      const unicode = domainToUnicode(label);
      return unicode && !mixesScripts(unicode) ? unicode : label;
    })
    .join(".");
}

const SCRIPTS = [
  "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Syriac", "Thaana", "Devanagari", "Bengali", "Gurmukhi",
  "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Thai", "Lao", "Tibetan", "Myanmar", "Georgian",
  "Hangul", "Ethiopic", "Cherokee", "Khmer", "Mongolian", "Hiragana", "Katakana", "Bopomofo", "Han",
].map((script) => ({ script, pattern: new RegExp(`\\p{Script=${script}}`, "u") }));
const NEUTRAL = /[\p{Script=Common}\p{Script=Inherited}]/u;
/** Scripts that are written together, as Chromium's IDN display policy allows them. */
const WRITTEN_TOGETHER = [
  new Set(["Latin", "Han", "Hiragana", "Katakana"]),
  new Set(["Latin", "Han", "Bopomofo"]),
  new Set(["Latin", "Han", "Hangul"]),
];

export function mixesScripts(label: string): boolean {
  const scripts = new Set<string>();
  for (const char of label) {
    if (NEUTRAL.test(char)) continue;
    // A script not listed counts as one of its own per character: unknown mixtures fail closed.
    scripts.add(SCRIPTS.find(({ pattern }) => pattern.test(char))?.script ?? `other:${char}`);
  }
  if (scripts.size <= 1) return false;
  return !WRITTEN_TOGETHER.some((together) => [...scripts].every((script) => together.has(script)));
}

function hostOfUrl(raw: string): string | null {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`).hostname || null;
  } catch {
    return null;
  }
}

function truncate(value: string): string {
  return value.length > 70 ? `${value.slice(0, 70)}…` : value;
}
