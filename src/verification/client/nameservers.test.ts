import { chooseZone, zoneCandidates } from "./nameservers";
import type { QueryResult } from "../verifier";

const ns = (...records: string[]): QueryResult<string> => ({ ok: true, records });
const nx: QueryResult<string> = { ok: false, failure: "NXDOMAIN", code: "ENOTFOUND" };
const nodata: QueryResult<string> = { ok: false, failure: "NODATA", code: "ENODATA" };
const timeout: QueryResult<string> = { ok: false, failure: "TIMEOUT", code: "ETIMEOUT" };

function answers(...results: QueryResult<string>[]) {
  const candidates = zoneCandidates("api.acme.test");
  return results.map((result, i) => ({ candidate: candidates[i], asked: { result, by: "127.0.0.1:53" } }));
}

describe("finding the record host's zone", () => {
  it("lists candidate apexes from the record host down to the registrable domain", () => {
    expect(zoneCandidates("api.acme.test")).toEqual(["_dnsproof-verify.api.acme.test", "api.acme.test", "acme.test"]);
    expect(zoneCandidates("example.co.uk")).toEqual(["_dnsproof-verify.example.co.uk", "example.co.uk"]);
  });

  it("takes the closest enclosing NS set", () => {
    expect(chooseZone(answers(nx, ns("ns1.api.acme.test"), ns("ns1.acme.test")))).toEqual({ zone: "api.acme.test", names: ["ns1.api.acme.test"] });
    expect(chooseZone(answers(nx, nodata, ns("ns1.acme.test")))).toEqual({ zone: "acme.test", names: ["ns1.acme.test"] });
  });

  it("stops at a failed lookup, which could hide a zone cut", () => {
    expect(chooseZone(answers(nx, timeout, ns("ns1.acme.test")))).toEqual({
      reason: "127.0.0.1:53 did not answer in time when asked for the NS records of api.acme.test",
      failed: { by: "127.0.0.1:53", result: timeout },
    });
  });

  it("says when the domain does not exist or has no NS records", () => {
    expect(chooseZone(answers(nx, nx, nx))).toEqual({ reason: "acme.test does not exist in DNS, so it has no nameservers to ask" });
    expect(chooseZone(answers(nx, nodata, nodata))).toEqual({
      reason: "no NS records were found for _dnsproof-verify.api.acme.test, api.acme.test, acme.test",
    });
  });
});
