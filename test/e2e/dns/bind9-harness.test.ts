/** The test harness itself: it must fail loudly, not hang, when BIND 9 is missing or misused. */
import { startBind9 } from "../../support/bind9";

describe("startBind9", () => {
  it("says what to install when named is missing", async () => {
    await expect(startBind9({ namedPath: "/nonexistent/sbin/named" })).rejects.toThrow(
      "BIND 9's named was not found: install bind9 and bind9-dnsutils",
    );
  });

  it("reports a failing nsupdate with its output, and stops cleanly", async () => {
    const dns = await startBind9({ zones: [{ name: "acme.test" }] });
    try {
      expect(dns.server).toBe(`127.0.0.1:${dns.port}`);
      await expect(dns.update("acme.test", ["update add not-absolute 60 TXT"])).rejects.toThrow(/nsupdate failed/);
      await expect(dns.update("other.test", ["update add x.other.test. 60 TXT \"y\""])).rejects.toThrow(/nsupdate failed/);
    } finally {
      await dns.stop();
    }
  });

  it("reports a zone file named cannot load", async () => {
    await expect(startBind9({ zones: [{ name: "broken.test", records: ["this is not a record"] }] })).rejects.toThrow(
      /named did not start[\s\S]*broken\.test/,
    );
  });
});
