import fc from "fast-check";
import { domainToASCII } from "node:url";
import { isIP } from "node:net";
import { getPublicSuffix } from "tldts";
import { normalizeDomainName } from "../../src/domains/domain-name";
import { Domain } from "../../src/domains/domain.entity";
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

const NAMES_PER_REQUEST = 50;
const REQUESTS = Number(process.env.PROPERTY_RUNS ?? 40);

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const char = (alphabet: string) => fc.constantFrom(...alphabet.split(""));
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

/** What a stored name must be, checked without the code that produced it (and then against it). */
function isValidStoredName(name: string): boolean {
  if (name.length > 236 || name !== name.toLowerCase() || !/^[a-z0-9.-]+$/.test(name)) return false;
  const labels = name.split(".");
  if (labels.length < 2 || labels.some((l) => !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) return false;
  if (/^[0-9]+$/.test(labels[labels.length - 1]) || isIP(name) !== 0) return false;
  if (domainToASCII(name) !== name) return false;
  if (getPublicSuffix(name, { allowPrivateDomains: true }) === name) return false;
  const again = normalizeDomainName(name);
  return again.ok && again.name === name;
}

describe.each(DATABASE_FLAVORS)("claimDomain with generated names on %s", (db) => {
  let t: TestApp;
  let token: string;
  const account = `names-${db}`;

  beforeAll(async () => {
    t = await startTestApp({ db, env: { MAX_DOMAINS_PER_ACCOUNT: "1000000", RATE_LIMIT_MUTATIONS_PER_MINUTE: "1000000", GRAPHQL_MAX_ALIASES: "100" } });
    token = await t.token(account);
  });
  afterAll(async () => t?.close());

  it(`answers each of ${NAMES_PER_REQUEST * REQUESTS} names with a normalized name or INVALID_DOMAIN / PUBLIC_SUFFIX, never an error`, async () => {
    const variables = Array.from({ length: NAMES_PER_REQUEST }, (_, i) => `$n${i}: String!`).join(", ");
    const claims = Array.from(
      { length: NAMES_PER_REQUEST },
      (_, i) => `c${i}: claimDomain(input: { name: $n${i} }) { domain { name } userErrors { code field } }`,
    ).join("\n");
    const mutation = `mutation(${variables}) { ${claims} }`;

    await fc.assert(
      fc.asyncProperty(fc.array(candidateName, { minLength: NAMES_PER_REQUEST, maxLength: NAMES_PER_REQUEST }), async (names) => {
        const response = await t.gql(mutation, Object.fromEntries(names.map((n, i) => [`n${i}`, n])), { token });
        expect(response.status).toBe(200);
        expect(response.body.errors).toBeUndefined();
        names.forEach((input, i) => {
          const answer = response.body.data[`c${i}`];
          const expected = normalizeDomainName(input);
          if (answer.domain) {
            expect({ input, name: answer.domain.name, valid: isValidStoredName(answer.domain.name) }).toEqual({ input, name: expected.ok ? expected.name : "(refused)", valid: true });
          } else {
            expect({ input, userErrors: answer.userErrors }).toEqual({ input, userErrors: [{ code: expected.ok ? "(accepted)" : expected.code, field: ["input", "name"] }] });
          }
        });
      }),
      { numRuns: REQUESTS },
    );

    const stored = await t.app.dataSource.getRepository(Domain).find({ where: { accountId: account }, select: { name: true } });
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.map((d) => d.name).filter((name) => !isValidStoredName(name))).toEqual([]);
  }, 120_000);
});
