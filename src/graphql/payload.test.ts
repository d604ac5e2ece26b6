import { userError, UserErrorCode } from "../shared/errors";
import { Refused, toPayload } from "./payload";

type Issued = { ok: true; certificate: { id: string }; chainPem: string };

const pick = ({ certificate, chainPem }: Issued) => ({ certificate, chainPem });
const empty = { certificate: null, chainPem: null };

describe("toPayload", () => {
  it("maps a success to its fields and no user errors", () => {
    const result: Issued | Refused = { ok: true, certificate: { id: "c1" }, chainPem: "PEM" };
    expect(toPayload(result, pick, empty)).toEqual({ certificate: { id: "c1" }, chainPem: "PEM", userErrors: [] });
  });

  it("maps a failure to the empty fields beside its one user error", () => {
    const error = userError(UserErrorCode.DOMAIN_NOT_VERIFIED, "Verify the domain first.", ["input", "domainId"]);
    const result: Issued | Refused = { ok: false, error };
    expect(toPayload(result, pick, empty)).toEqual({ certificate: null, chainPem: null, userErrors: [error] });
  });

  it("keeps the failed fields as given (false stays false)", () => {
    const error = userError(UserErrorCode.INVALID_DOMAIN, "Not a domain name.", ["input", "name"]);
    const result = { ok: false, error } as { ok: true; domain: object; created: boolean } | Refused;
    expect(toPayload(result, ({ domain, created }) => ({ domain, created }), { domain: null, created: false })).toEqual({
      domain: null,
      created: false,
      userErrors: [error],
    });
  });
});
