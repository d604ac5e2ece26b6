import { integer, Invalid, isLoopbackHost, list, text, urlOrNull, type Parser } from "./parsers";
import { section, setting } from "./setting";
import type { Config } from "./types";

const perspectiveUrl: Parser<string> = {
  accepts: "an `https://` URL (`http://` outside production or on loopback)",
  parse(raw, key) {
    const url = urlOrNull(raw);
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search || url.hash) {
      return new Invalid(`${key} entries must be http:// or https:// URLs without credentials, query or fragment; got "${raw}"`);
    }
    return raw.replace(/\/+$/, "");
  },
};

const settings = {
  urls: setting({
    env: "DNS_PERSPECTIVES",
    parser: list(perspectiveUrl, "comma-separated `https://` URLs (`http://` outside production or on loopback)"),
    default: "",
    defaultDoc: "none: checks are not corroborated",
    doc: "remote perspectives (`dnsproof perspective` services) that must corroborate each new verification from their own networks",
  }),
  secret: setting({
    env: "DNS_PERSPECTIVE_SECRET",
    parser: text("a secret"),
    doc: "the secret shared with the perspectives (their `PERSPECTIVE_SECRET`): sent as a bearer token, and the key their answers are signed with; at least 32 characters in production",
  }),
  quorum: setting({
    env: "DNS_PERSPECTIVE_QUORUM",
    parser: integer({ min: 1, max: 64 }),
    defaultDoc: "all but 1 when there are 5 or fewer, all but 2 from 6 on (at least 1)",
    doc: "how many perspectives must see the token before a new verification counts",
  }),
  minRegions: setting({
    env: "DNS_PERSPECTIVE_MIN_REGIONS",
    parser: integer({ min: 1, max: 16 }),
    defaultDoc: "2 when the perspectives declare 2 or more regions, else 1",
    doc: "distinct regions the corroborating perspectives must span",
  }),
  serviceSecret: setting({
    env: "PERSPECTIVE_SECRET",
    parser: text("a secret"),
    doc: "for `dnsproof perspective` only: the secret the primary presents and answers are signed with (the primary's `DNS_PERSPECTIVE_SECRET`)",
  }),
  ratePerMinute: setting({
    env: "PERSPECTIVE_RATE_LIMIT",
    parser: integer({ min: 1, max: 1_000_000 }),
    default: "600",
    doc: "for `dnsproof perspective` only: requests one caller address may send per minute",
  }),
};

export const perspectivesSection = section({
  title: "Remote perspectives",
  settings,
  build: (values): Pick<Config, "perspectives"> => ({ perspectives: values }),
});

/** Perspective URLs production refuses: plain http anywhere but loopback, where nobody can listen in. */
export function insecurePerspectiveUrls(urls: readonly string[]): string[] {
  return urls.filter((raw) => {
    const url = new URL(raw);
    return url.protocol !== "https:" && !isLoopbackHost(url.hostname);
  });
}
