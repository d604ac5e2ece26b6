import { failureForErrorCode } from "./resolver-lookup";

describe("c-ares error codes", () => {
  it.each([
    ["ENOTFOUND", "NXDOMAIN"],
    ["ENODATA", "NODATA"],
    ["ETIMEOUT", "TIMEOUT"],
    ["ECANCELLED", "TIMEOUT"],
    ["ESERVFAIL", "SERVFAIL"],
    ["EREFUSED", "REFUSED"],
    ["ECONNREFUSED", "ERROR"],
    ["EBADRESP", "ERROR"],
    [undefined, "ERROR"],
  ])("%s → %s", (code, answer) => {
    expect(failureForErrorCode(code)).toBe(answer);
  });
});
