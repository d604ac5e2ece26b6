/** The record formats the contract accepts, published on a real BIND 9 and read back through the verifier. */
import { startBind9, type Bind9Server } from "../../support/bind9";
import { CLOCK_START, newClaim, newLabelSizedToken, newToken, verifierFor } from "./verifier-fixtures";

let dns: Bind9Server;

beforeAll(async () => {
  dns = await startBind9({ zones: [{ name: "acme.test" }] });
});

afterAll(async () => {
  await dns?.stop();
});

const publish = (lines: string[]) => dns.update("acme.test", lines);

describe("records on a real nameserver", () => {
  it("verifies a TXT value split into chunks", async () => {
    const claim = newClaim();
    const [head, tail] = [claim.txt.slice(0, 40), claim.txt.slice(40)];
    await publish([`update add ${claim.host}. 60 TXT "${head}" "${tail}"`]);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check).toMatchObject({ outcome: "VERIFIED", method: "TXT", foundValues: [claim.txt], hints: [] });
    expect(check.checkedAt.toISOString()).toBe(CLOCK_START);
    expect(check.servers).toEqual([{ server: dns.server, answer: "FOUND", values: [claim.txt], durationMs: expect.any(Number), dnssec: "UNVALIDATED", extendedErrors: [] }]);
    expect(check.message).toBe(`Verified: ${claim.host} has the TXT record ${claim.txt}.`);
  });

  it("verifies a TXT value carrying literal quotes", async () => {
    const claim = newClaim();
    await publish([`update add ${claim.host}. 60 TXT "\\"${claim.txt}\\""`]);
    expect(await verifierFor([dns.server]).verify(claim.request)).toMatchObject({ outcome: "VERIFIED", foundValues: [claim.txt] });
  });

  it("verifies a TXT value padded with whitespace", async () => {
    const claim = newClaim();
    await publish([`update add ${claim.host}. 60 TXT "  ${claim.txt} " "\\009"`]);
    expect(await verifierFor([dns.server]).verify(claim.request)).toMatchObject({ outcome: "VERIFIED", method: "TXT" });
  });

  it("verifies next to unrelated TXT records and reports them all", async () => {
    const claim = newClaim();
    await publish([`update add ${claim.host}. 60 TXT "v=other"`, `update add ${claim.host}. 60 TXT "${claim.txt}"`]);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check.outcome).toBe("VERIFIED");
    expect([...check.foundValues].sort()).toEqual([claim.txt, "v=other"].sort());
  });

  it("verifies a CNAME whose target is written in upper case", async () => {
    const claim = newClaim("acme.test", newLabelSizedToken());
    await publish([`update add ${claim.host}. 60 CNAME ${claim.cname.toUpperCase()}.`]);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check).toMatchObject({ outcome: "VERIFIED", method: "CNAME", foundValues: [claim.cname] });
    expect(check.message).toBe(`Verified: ${claim.host} has the CNAME record to ${claim.cname}.`);
  });

  it("verifies a CNAME into a custom zone given with a trailing dot", async () => {
    const claim = newClaim("acme.test", newLabelSizedToken());
    await publish([`update add ${claim.host}. 60 CNAME ${claim.token}.Proof.Example.NET.`]);
    const check = await verifierFor([dns.server], { cnameZone: "proof.example.net." }).verify(claim.request);
    expect(check).toMatchObject({ outcome: "VERIFIED", method: "CNAME" });
  });

  it("reports a wrong token as VALUE_MISMATCH with the exact value expected", async () => {
    const claim = newClaim();
    const wrong = `dnsproof-verification=${newToken()}`;
    await publish([`update add ${claim.host}. 60 TXT "${wrong}"`]);
    const check = await verifierFor([dns.server]).verify(claim.request);
    expect(check).toMatchObject({ outcome: "VALUE_MISMATCH", method: null, foundValues: [wrong] });
    expect(check.servers[0].answer).toBe("OTHER_VALUES");
    expect(check.message).toBe(
      `${claim.host} has the TXT value "${wrong}" but not the expected value: change the TXT value to exactly ${claim.txt}.`,
    );
  });

  it("notices a record that was removed", async () => {
    const claim = newClaim();
    const verifier = verifierFor([dns.server]);
    await publish([`update add ${claim.host}. 60 TXT "${claim.txt}"`]);
    expect((await verifier.verify(claim.request)).outcome).toBe("VERIFIED");
    await publish([`update delete ${claim.host}. TXT`]);
    const check = await verifier.verify(claim.request);
    expect(check).toMatchObject({ outcome: "RECORD_NOT_FOUND", foundValues: [] });
    expect(check.servers[0].answer).toBe("NXDOMAIN");
    expect(check.message).toContain(`No TXT or CNAME record exists at ${claim.host} yet`);
  });

  it("calls the metrics hook once per vantage point", async () => {
    const claim = newClaim();
    const onLookup = jest.fn();
    await verifierFor([dns.server, dns.server], { onLookup }).verify(claim.request);
    expect(onLookup).toHaveBeenCalledTimes(2);
    expect(onLookup).toHaveBeenCalledWith({ server: dns.server, answer: "NXDOMAIN", dnssec: "UNVALIDATED", durationMs: expect.any(Number) });
  });

  it("ignores a metrics hook that throws", async () => {
    const claim = newClaim();
    const check = await verifierFor([dns.server], {
      onLookup: () => {
        throw new Error("metrics down");
      },
    }).verify(claim.request);
    expect(check.outcome).toBe("RECORD_NOT_FOUND");
  });
});
