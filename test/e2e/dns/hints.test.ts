/** Each common mistake published on a real BIND 9, and the hint that names it. */
import { startBind9, type Bind9Server } from "../../support/bind9";
import { newClaim, newLabelSizedToken, newToken, verifierFor } from "./verifier-fixtures";

let dns: Bind9Server;

beforeAll(async () => {
  dns = await startBind9({ zones: [{ name: "acme.test" }] });
});

afterAll(async () => {
  await dns?.stop();
});

const publish = (...lines: string[]) => dns.update("acme.test", lines.map((line) => `update add ${line}`));
const relative = (name: string) => name.replace(/\.acme\.test$/, "");

describe("hints on a real nameserver", () => {
  it("spots the zone appended twice and says what to type in the name field", async () => {
    const claim = newClaim();
    await publish(`${claim.host}.acme.test. 60 TXT "${claim.txt}"`);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check.outcome).toBe("RECORD_NOT_FOUND");
    expect(check.hints).toContain(
      `The record is published at ${claim.host}.acme.test because your DNS panel appends acme.test to the name you enter: ` +
        `type only _dnsproof-verify.${relative(claim.name)} in the name field.`,
    );
  });

  it("spots the zone appended twice at the apex", async () => {
    const token = newToken();
    await publish(`_dnsproof-verify.acme.test.acme.test. 60 TXT "dnsproof-verification=${token}"`);
    const check = await verifierFor([dns.server]).verify({ name: "acme.test", token, previousTokens: [] });
    expect(check.hints).toContain(
      "The record is published at _dnsproof-verify.acme.test.acme.test because your DNS panel appends acme.test to the name you enter: " +
        "type only _dnsproof-verify in the name field.",
    );
  });

  it("spots the record published at the domain itself", async () => {
    const claim = newClaim();
    await publish(`${claim.name}. 60 TXT "v=spf1 -all"`, `${claim.name}. 60 TXT "${claim.txt}"`);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check.outcome).toBe("RECORD_NOT_FOUND");
    expect(check.hints).toContain(
      `The TXT record "${claim.txt}" is published at ${claim.name} itself, but it belongs at ${claim.host}: ` +
        `enter _dnsproof-verify.${relative(claim.name)} in the name field.`,
    );
  });

  it.each(["dnsproof-verify", "_dnsproof", "_dnsproof-verification", "_dnsproof_verify"])("spots the record under the prefix %s", async (prefix) => {
    const claim = newClaim();
    await publish(`${prefix}.${claim.name}. 60 TXT "${claim.txt}"`);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check.hints).toContain(
      `The record is published at ${prefix}.${claim.name}, but it must be at ${claim.host}: enter _dnsproof-verify.${relative(claim.name)} in the name field.`,
    );
  });

  it("spots the bare token", async () => {
    const claim = newClaim();
    await publish(`${claim.host}. 60 TXT "${claim.token}"`);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check).toMatchObject({ outcome: "VALUE_MISMATCH", foundValues: [claim.token] });
    expect(check.hints).toEqual([`The TXT record at ${claim.host} holds the bare token: its value must start with the prefix, ${claim.txt}.`]);
  });

  it("spots a token from before it was regenerated", async () => {
    const claim = newClaim();
    const old = newToken();
    await publish(`${claim.host}. 60 TXT "dnsproof-verification=${old}"`);
    const check = await verifierFor([dns.server]).verify({ ...claim.request, previousTokens: [newToken(), old] });
    expect(check.outcome).toBe("VALUE_MISMATCH");
    expect(check.hints).toEqual([
      `The TXT record at ${claim.host} carries a previous token of this claim (the token was regenerated since): ` +
        `replace "dnsproof-verification=${old}" with ${claim.txt}.`,
    ]);
  });

  it("explains that a CNAME elsewhere hides the TXT record", async () => {
    const claim = newClaim();
    await publish(`${claim.host}. 60 CNAME web.acme.test.`, `web.acme.test. 60 TXT "site"`);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check.outcome).toBe("VALUE_MISMATCH");
    expect(check.foundValues).toEqual(["site", "web.acme.test"]);
    expect(check.hints).toEqual([
      `${claim.host} is a CNAME to web.acme.test, which hides any TXT record there (a CNAME excludes every other record at its name) ` +
        `and is not the expected target: point it to ${claim.publishableCname}, or delete it and add the TXT record ${claim.txt}.`,
    ]);
  });

  it("spots a CNAME target with the zone appended", async () => {
    const claim = newClaim("acme.test", newLabelSizedToken());
    await publish(`${claim.host}. 60 CNAME ${claim.cname}.acme.test.`);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check.outcome).toBe("VALUE_MISMATCH");
    expect(check.hints).toEqual([
      `The CNAME at ${claim.host} points to ${claim.cname}.acme.test: your DNS panel appended acme.test to the target, ` +
        `so enter it with a trailing dot: ${claim.cname}.`,
    ]);
  });

  it("gives the negative-caching time when the record is missing", async () => {
    const claim = newClaim();
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check.hints).toEqual([
      `Resolvers remember that ${claim.host} does not exist for up to 30 seconds (RFC 2308: the lesser of the acme.test SOA record's ` +
        `TTL 60 and its MINIMUM field 30), so once it is published a retry through a caching resolver can first succeed at 2026-11-22T10:00:30.000Z.`,
    ]);
  });

  it("gives no hints once verified", async () => {
    const claim = newClaim();
    await publish(`${claim.host}. 60 TXT "${claim.txt}"`, `${claim.name}. 60 TXT "${claim.txt}"`);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check).toMatchObject({ outcome: "VERIFIED", hints: [] });
  });
});
