import { checkStatus, combinedStatus, outcomeWithDnssec } from "./dnssec";
import type { DnssecStatus } from "./types";

describe("DNSSEC status rules", () => {
  it.each([
    [["SECURE", "SECURE"], "SECURE"],
    [["SECURE", "INSECURE"], "INSECURE"],
    [["SECURE", "UNVALIDATED"], "UNVALIDATED"],
    [["INSECURE", "BOGUS"], "BOGUS"],
    [[], "UNVALIDATED"],
  ] as [DnssecStatus[], DnssecStatus][])("combines %j into %s", (statuses, combined) => {
    expect(combinedStatus(statuses)).toBe(combined);
  });

  it("makes a check BOGUS when any answer was, even one that did not count", () => {
    expect(checkStatus([{ dnssec: "SECURE", counted: true }, { dnssec: "BOGUS", counted: false }])).toBe("BOGUS");
  });

  it("makes a check SECURE only when every answer that counted was", () => {
    expect(checkStatus([{ dnssec: "SECURE", counted: true }, { dnssec: "UNVALIDATED", counted: false }])).toBe("SECURE");
    expect(checkStatus([{ dnssec: "SECURE", counted: true }, { dnssec: "INSECURE", counted: true }])).toBe("INSECURE");
    expect(checkStatus([{ dnssec: "UNVALIDATED", counted: false }])).toBe("UNVALIDATED");
  });

  it("never lets BOGUS verify, and under require-secure only SECURE verifies", () => {
    expect(outcomeWithDnssec("VERIFIED", "BOGUS", "observe")).toBe("DNSSEC_BOGUS");
    expect(outcomeWithDnssec("RECORD_NOT_FOUND", "BOGUS", "observe")).toBe("DNSSEC_BOGUS");
    expect(outcomeWithDnssec("VERIFIED", "INSECURE", "observe")).toBe("VERIFIED");
    expect(outcomeWithDnssec("VERIFIED", "SECURE", "require-secure")).toBe("VERIFIED");
    expect(outcomeWithDnssec("VERIFIED", "INSECURE", "require-secure")).toBe("DNSSEC_INSECURE");
    expect(outcomeWithDnssec("VERIFIED", "UNVALIDATED", "require-secure")).toBe("DNSSEC_INSECURE");
    // A missing record says more than the zone's signing status.
    expect(outcomeWithDnssec("RECORD_NOT_FOUND", "INSECURE", "require-secure")).toBe("RECORD_NOT_FOUND");
  });
});
