import fc from "fast-check";
import { domainToASCII } from "node:url";
import { isIP } from "node:net";
import { getPublicSuffix, parse } from "tldts";
import { Domain } from "../../src/domains/domain.entity";
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

// Nothing here may ask src/domains what a name should become: a test that uses the code under
// test as its oracle passes whatever that code does. Expectations come from how the names were
// built, from rules written below, from Node's WHATWG host parser and from the Public Suffix List.

const NAMES_PER_REQUEST = 50;
const REQUESTS = Number(process.env.PROPERTY_RUNS ?? 40);
// Each run is a request of 50 names and the diff names the failing one: shrinking would cost a
// request per step and outlast the test's timeout before reporting anything.
const PROPERTY_PARAMETERS = { numRuns: REQUESTS, endOnFailure: true };

/** DNS's 253 octets less the `_dnsproof-verify.` (17) the record host puts in front. */
const MAX_NAME_LENGTH = 236;
/** RFC 1035 §2.3.4. */
const MAX_LABEL_LENGTH = 63;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const PSL = { allowPrivateDomains: true } as const;

type Verdict = { name: string } | { code: "INVALID_DOMAIN" | "PUBLIC_SUFFIX" };
const INVALID: Verdict = { code: "INVALID_DOMAIN" };
const PUBLIC_SUFFIX: Verdict = { code: "PUBLIC_SUFFIX" };

const isPublicSuffix = (asciiName: string) => getPublicSuffix(asciiName, PSL) === asciiName;
/** A single label the list names (com, uk), as opposed to one only its catch-all rule matches (localhost). */
const isListedLabel = (label: string) => {
  const parsed = parse(label, PSL);
  return parsed.isIcann === true || parsed.isPrivate === true;
};

/**
 * What claimDomain must answer for any input: the WHATWG host of the input, provided the input is
 * a host and nothing more, and that host is a name DNS can hold and someone can own.
 */
function judge(input: string): Verdict {
  // Surrounding white space and one trailing dot (the root) are not part of the name; case never matters.
  const text = input.trim().replace(/\.$/, "").toLowerCase();
  // A URL reads these as a scheme, user, port, path or IPv6 literal: the input would be more than a name.
  if (text === "" || /[\s/\\?#@:[\]]/.test(text)) return INVALID;
  let host: string;
  try {
    host = new URL(`http://${text}/`).hostname;
  } catch {
    return INVALID;
  }
  if (isIP(host) !== 0 || host.length > MAX_NAME_LENGTH) return INVALID;
  const labels = host.split(".");
  if (labels.length === 1) return isListedLabel(host) ? PUBLIC_SUFFIX : INVALID;
  if (!labels.every((label) => LDH_LABEL.test(label))) return INVALID;
  return isPublicSuffix(host) ? PUBLIC_SUFFIX : { name: host };
}

/** What a stored name must look like, whatever the input was. */
function isValidStoredName(name: string): boolean {
  if (name.length > MAX_NAME_LENGTH || !/^[a-z0-9.-]+$/.test(name)) return false;
  const labels = name.split(".");
  if (labels.length < 2 || labels.some((l) => !LDH_LABEL.test(l))) return false;
  if (/^[0-9]+$/.test(labels[labels.length - 1]) || isIP(name) !== 0) return false;
  return domainToASCII(name) === name && !isPublicSuffix(name);
}

const char = (alphabet: string) => fc.constantFrom(...alphabet.split(""));
const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

// Names built so that their one stored spelling is known without normalizing them.

/** A label by the LDH rule, `min` to `max` long; never `xn--`, whose meaning is punycode's. */
const ldhLabel = (min: number, max: number) =>
  fc
    .integer({ min, max })
    .chain((length) =>
      length === 1
        ? char(ALNUM)
        : fc.tuple(char(ALNUM), fc.string({ unit: char(`${ALNUM}-`), minLength: length - 2, maxLength: length - 2 }), char(ALNUM)).map((parts) => parts.join("")),
    )
    .filter((label) => !label.startsWith("xn--"));
const shortLabel = fc.oneof({ weight: 4, arbitrary: ldhLabel(1, 12) }, ldhLabel(13, MAX_LABEL_LENGTH));
/** Internationalized labels whose punycode is published (RFC 3492 examples, IANA's test TLDs). */
const idnLabel = fc.constantFrom(
  { unicode: "bücher", ascii: "xn--bcher-kva" },
  { unicode: "münchen", ascii: "xn--mnchen-3ya" },
  { unicode: "пример", ascii: "xn--e1afmkfd" },
  { unicode: "例え", ascii: "xn--r8jz45g" },
  { unicode: "δοκιμή", ascii: "xn--jxalpdlp" },
);
const builtLabel = fc.oneof({ weight: 5, arbitrary: shortLabel.map((l) => ({ unicode: l, ascii: l })) }, idnLabel);
const registrySuffix = fc.constantFrom("com", "de", "org", "co.uk", "github.io", "xn--p1ai");

/** A name someone can own: its written form (lower case, possibly Unicode) and the ASCII form it must be stored as. */
const ownableName = fc
  .tuple(fc.array(builtLabel, { minLength: 1, maxLength: 4 }), registrySuffix)
  .map(([labels, suffix]) => ({ written: [...labels.map((l) => l.unicode), suffix].join("."), stored: [...labels.map((l) => l.ascii), suffix].join(".") }))
  // Some built names are themselves on the list (us.com): which ones is the list's business, not a rule to restate.
  .filter(({ stored }) => stored.length <= MAX_NAME_LENGTH && !isPublicSuffix(stored));

/** How people write one name: any letters upper-cased, a trailing dot, white space around it. */
const spellings = (written: string) =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: [...written].length, maxLength: [...written].length }),
      fc.constantFrom("", "."),
      fc.constantFrom("", " ", "\t", "\u00a0", "\n "),
    )
    .map(([upper, trailing, pad]) => `${pad}${[...written].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("")}${trailing}${pad}`);

const label63 = ldhLabel(MAX_LABEL_LENGTH, MAX_LABEL_LENGTH);
/** Names of 230 to 242 characters from valid labels, so that the whole-name limit alone decides. */
const nearTheLengthLimit = fc
  .tuple(label63, label63, label63, fc.integer({ min: 230, max: 242 }))
  // Three 63-character labels, four dots and "com" take 196.
  .chain(([a, b, c, total]) => ldhLabel(total - 196, total - 196).map((d) => `${a}.${b}.${c}.${d}.com`));

type Built = { input: string; expected: Verdict };
const builtCase = fc.oneof(
  { weight: 6, arbitrary: ownableName.chain(({ written, stored }) => spellings(written).map((input): Built => ({ input, expected: { name: stored } }))) },
  { weight: 2, arbitrary: nearTheLengthLimit.map((name): Built => ({ input: name, expected: name.length <= MAX_NAME_LENGTH ? { name } : INVALID })) },
  // One label too long, in a name short enough otherwise.
  {
    weight: 2,
    arbitrary: fc
      .tuple(ldhLabel(MAX_LABEL_LENGTH + 1, 80), shortLabel, fc.boolean())
      .map(([long, other, first]): Built => ({ input: first ? `${long}.${other}.com` : `${other}.${long}.de`, expected: INVALID })),
  },
  // A label DNS cannot hold, or a wildcard or service label that no one owns on its own.
  {
    weight: 2,
    arbitrary: fc
      .tuple(shortLabel, fc.constantFrom("-%.example.com", "%-.example.com", "%..example.com", ".%.example.com", "*.%.example.com", "_%.example.com"))
      .map(([l, pattern]): Built => ({ input: pattern.replace("%", l), expected: INVALID })),
  },
  // An all-digit top-level label: no such TLD exists, and it reads as half an IPv4 address.
  fc.tuple(shortLabel, fc.integer({ min: 0, max: 999 })).map(([l, n]): Built => ({ input: `${l}.${n}`, expected: INVALID })),
  {
    weight: 2,
    arbitrary: fc
      .constantFrom("com", "uk", "co.uk", "github.io", "blogspot.com", "рф")
      .chain((suffix) => spellings(suffix).map((input): Built => ({ input, expected: PUBLIC_SUFFIX }))),
  },
);

// Anything at all, judged by judge().

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ldh = fc.string({ unit: char(`${letters}-`), minLength: 1, maxLength: 20 });
const longLabel = fc.string({ unit: char("abcxyz0189-"), minLength: 60, maxLength: 70 });
const unicodeLabel = fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 });
const junk = fc.string({ unit: "binary", maxLength: 40 });
const label = fc.oneof({ weight: 5, arbitrary: ldh }, longLabel, unicodeLabel, junk, fc.constantFrom("", "xn--", "xn--zz", "xn--bcher-kva", "-", "*", "_dmarc", "0"));
const suffix = fc.constantFrom("com", "co.uk", "de", "github.io", "blogspot.com", "xn--p1ai", "example", "test", "local", "localhost", "123", "");
const dotted = fc
  .tuple(fc.array(label, { minLength: 0, maxLength: 8 }), suffix, fc.constantFrom("", ".", ".."), fc.constantFrom("", " ", "\t", "\u00a0"))
  .map(([labels, tld, trailing, pad]) => `${pad}${[...labels, tld].join(".")}${trailing}${pad}`);
const plausible = fc.tuple(fc.array(ldh, { minLength: 1, maxLength: 4 }), suffix).map(([labels, tld]) => [...labels, tld].join("."));
const manyLabels = fc.array(fc.constantFrom("a", "bb", "ccc", "d-d", "9"), { minLength: 60, maxLength: 140 }).map((ls) => `${ls.join(".")}.com`);
const casing = (arb: fc.Arbitrary<string>) => fc.tuple(arb, fc.boolean()).map(([s, upper]) => (upper ? s.toUpperCase() : s));

/** Everything a person (or an attacker) might paste as a domain name. */
const candidateName = fc.oneof(
  { weight: 6, arbitrary: casing(dotted) },
  { weight: 4, arbitrary: casing(plausible) },
  { weight: 2, arbitrary: casing(fc.domain()) },
  fc.webUrl(),
  fc.emailAddress(),
  fc.ipV4(),
  fc.ipV4Extended(),
  fc.ipV6(),
  fc.ipV6().map((ip) => `[${ip}]`),
  manyLabels,
  junk,
  fc.string({ unit: "grapheme", maxLength: 30 }),
);

/** What claimDomain answered, in the shape a Verdict has. */
function answerOf(answer: { domain: { name: string } | null; userErrors: { code: string; field: string[] }[] }): Verdict | { userErrors: unknown } {
  if (answer.domain) return { name: answer.domain.name };
  if (answer.userErrors.length === 1 && answer.userErrors[0].field.join(".") === "input.name") return { code: answer.userErrors[0].code as "INVALID_DOMAIN" };
  return { userErrors: answer.userErrors };
}

describe.each(DATABASE_FLAVORS)("claimDomain with generated names on %s", (db) => {
  let t: TestApp;
  let token: string;
  const account = `names-${db}`;
  const variables = Array.from({ length: NAMES_PER_REQUEST }, (_, i) => `$n${i}: String!`).join(", ");
  const claims = Array.from({ length: NAMES_PER_REQUEST }, (_, i) => `c${i}: claimDomain(input: { name: $n${i} }) { domain { name } userErrors { code field } }`).join("\n");
  const mutation = `mutation(${variables}) { ${claims} }`;

  /** One request claiming all of `names`; each answer in the order of the names. */
  async function claimAll(names: string[]) {
    const response = await t.gql(mutation, Object.fromEntries(names.map((n, i) => [`n${i}`, n])), { token });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    return names.map((_, i) => answerOf(response.body.data[`c${i}`]));
  }

  beforeAll(async () => {
    t = await startTestApp({ db, env: { MAX_DOMAINS_PER_ACCOUNT: "1000000", RATE_LIMIT_MUTATIONS_PER_MINUTE: "1000000", GRAPHQL_MAX_ALIASES: "100" } });
    token = await t.token(account);
  });
  afterAll(async () => t?.close());

  it(`stores each of ${NAMES_PER_REQUEST * REQUESTS} built names, however spelled, as built, and refuses those past a limit`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(builtCase, { minLength: NAMES_PER_REQUEST, maxLength: NAMES_PER_REQUEST }), async (cases) => {
        const answers = await claimAll(cases.map((c) => c.input));
        expect(cases.map(({ input }, i) => ({ input, answer: answers[i] }))).toEqual(cases.map(({ input, expected }) => ({ input, answer: expected })));
      }),
      PROPERTY_PARAMETERS,
    );
  }, 120_000);

  it(`answers each of ${NAMES_PER_REQUEST * REQUESTS} pasted names as the WHATWG host of the name alone, or INVALID_DOMAIN / PUBLIC_SUFFIX, never an error`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(candidateName, { minLength: NAMES_PER_REQUEST, maxLength: NAMES_PER_REQUEST }), async (names) => {
        const answers = await claimAll(names);
        expect(names.map((input, i) => ({ input, answer: answers[i] }))).toEqual(names.map((input) => ({ input, answer: judge(input) })));
      }),
      PROPERTY_PARAMETERS,
    );

    const stored = await t.app.dataSource.getRepository(Domain).find({ where: { accountId: account }, select: { name: true } });
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.map((d) => d.name).filter((name) => !isValidStoredName(name))).toEqual([]);
  }, 120_000);
});
