/**
 * Several servers asked at once: real BIND 9 instances (one lagging behind, one refusing) and a
 * server that never answers, to prove the deadline and that one bad vantage point flips nothing.
 */
import { startBind9, type Bind9Server } from "../../support/bind9";
import { startSilentDnsServer, type SilentDnsServer } from "../../support/silent-dns-server";
import { newClaim, verifierFor } from "./verifier-fixtures";

/** The brief's bound: a verification may overrun its timeout by at most this much. */
const MARGIN_MS = 300;

let primaries: Bind9Server[];
let refusing: Bind9Server;
let silent: SilentDnsServer;

beforeAll(async () => {
  primaries = await Promise.all([1, 2, 3].map(() => startBind9({ zones: [{ name: "acme.test" }] })));
  refusing = await startBind9({ zones: [{ name: "acme.test" }], refuseQueries: true });
  silent = await startSilentDnsServer();
});

afterAll(async () => {
  await Promise.all([...(primaries ?? []), refusing].map((server) => server?.stop()));
  await silent?.stop();
});

/** Publishes on some of the primaries only, as if the others had not caught up yet. */
async function publishOn(servers: Bind9Server[], line: string) {
  await Promise.all(servers.map((server) => server.update("acme.test", [line])));
}

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work;
  return [result, performance.now() - started];
}

describe("a server that never answers", () => {
  it("still ends within the timeout plus margin, as DNS_ERROR", async () => {
    const claim = newClaim();
    const before = silent.received();
    const [check, elapsed] = await timed(verifierFor([silent.server], { timeoutMs: 500 }).verify(claim.request));
    expect(elapsed).toBeLessThan(500 + MARGIN_MS);
    expect(silent.received()).toBeGreaterThan(before);
    expect(check.outcome).toBe("DNS_ERROR");
    expect(check.servers).toEqual([{ server: silent.server, answer: "TIMEOUT", values: [], durationMs: expect.any(Number), dnssec: "UNVALIDATED", extendedErrors: [] }]);
    expect(check.servers[0].durationMs).toBeGreaterThanOrEqual(490);
    expect(check.message).toBe(
      `Nothing was concluded about ${claim.host}: ${silent.server} did not answer within the 500 ms limit; try again later.`,
    );
  });

  it("does not flip a FOUND result when 1 of 3 is silent", async () => {
    const claim = newClaim();
    await publishOn(primaries.slice(0, 2), `update add ${claim.host}. 60 TXT "${claim.txt}"`);
    const servers = [primaries[0].server, silent.server, primaries[1].server];
    const [check, elapsed] = await timed(verifierFor(servers, { timeoutMs: 500 }).verify(claim.request));
    expect(elapsed).toBeLessThan(500 + MARGIN_MS);
    expect(check.outcome).toBe("VERIFIED");
    expect(check.servers.map((s) => s.answer)).toEqual(["FOUND", "TIMEOUT", "FOUND"]);
    expect(check.message).toContain(`${silent.server} did not answer within the 500 ms limit`);
  });

  it("does not turn a missing record into DNS_ERROR when 1 of 3 is silent, hint probes included", async () => {
    const claim = newClaim();
    const servers = [primaries[0].server, primaries[1].server, silent.server];
    const [check, elapsed] = await timed(verifierFor(servers, { timeoutMs: 500 }).verify(claim.request));
    expect(elapsed).toBeLessThan(500 + MARGIN_MS);
    expect(check.outcome).toBe("RECORD_NOT_FOUND");
    expect(check.hints.some((hint) => hint.includes("RFC 2308"))).toBe(true);
  });

  it("ends on time even when every server is silent", async () => {
    const claim = newClaim();
    const [check, elapsed] = await timed(verifierFor([silent.server, silent.server, silent.server], { timeoutMs: 300 }).verify(claim.request));
    expect(elapsed).toBeLessThan(300 + MARGIN_MS);
    expect(check.outcome).toBe("DNS_ERROR");
  });
});

describe("a server that refuses", () => {
  it("is DNS_ERROR on its own, saying it refused", async () => {
    const claim = newClaim();
    const check = await verifierFor([refusing.server]).verify(claim.request);
    expect(check.outcome).toBe("DNS_ERROR");
    expect(check.servers[0].answer).toBe("REFUSED");
    expect(check.message).toBe(`Nothing was concluded about ${claim.host}: ${refusing.server} refused the query; try again later.`);
  });

  it("does not flip the result of the others", async () => {
    const claim = newClaim();
    await publishOn(primaries.slice(0, 2), `update add ${claim.host}. 60 TXT "${claim.txt}"`);
    const check = await verifierFor([primaries[0].server, refusing.server, primaries[1].server]).verify(claim.request);
    expect(check.outcome).toBe("VERIFIED");
    expect(check.message).toContain(`${refusing.server} refused the query`);
  });
});

describe("a nameserver that lags behind", () => {
  it("verifies 2 of 3 with quorum 2 and names the lagging one", async () => {
    const claim = newClaim();
    await publishOn(primaries.slice(0, 2), `update add ${claim.host}. 60 TXT "${claim.txt}"`);
    const check = await verifierFor(primaries.map((p) => p.server), { quorum: 2 }).verify(claim.request);
    expect(check.outcome).toBe("VERIFIED");
    expect(check.servers.map((s) => s.answer)).toEqual(["FOUND", "FOUND", "NXDOMAIN"]);
    expect(check.message).toBe(
      `Verified: 2 of 3 resolvers serve the TXT record ${claim.txt} at ${claim.host}, and 2 are enough; ` +
        `${primaries[2].server} does not have it yet (it may still serve an older copy of the zone).`,
    );
  });

  it("concludes nothing (not RECORD_NOT_FOUND) with quorum 3", async () => {
    const claim = newClaim();
    await publishOn(primaries.slice(0, 2), `update add ${claim.host}. 60 TXT "${claim.txt}"`);
    const check = await verifierFor(primaries.map((p) => p.server), { quorum: 3 }).verify(claim.request);
    expect(check.outcome).toBe("DNS_ERROR");
    expect(check.foundValues).toEqual([claim.txt]);
    expect(check.message).toBe(
      `Nothing was concluded about ${claim.host}: 2 of 3 resolvers serve the record but ${primaries[2].server} does not have it yet ` +
        `(it may still serve an older copy of the zone), and all 3 must agree; try again once every resolver has the latest copy of the zone.`,
    );
  });

  it("says VALUE_MISMATCH while most servers still serve an older value", async () => {
    const claim = newClaim();
    await publishOn(primaries, `update add ${claim.host}. 60 TXT "dnsproof-verification=old"`);
    await publishOn(primaries.slice(0, 1), `update delete ${claim.host}. TXT`);
    await publishOn(primaries.slice(0, 1), `update add ${claim.host}. 60 TXT "${claim.txt}"`);
    const check = await verifierFor(primaries.map((p) => p.server)).verify(claim.request);
    expect(check.outcome).toBe("VALUE_MISMATCH");
    expect(check.foundValues).toEqual([claim.txt, "dnsproof-verification=old"]);
    expect(check.message).toContain("(2 of 3 resolvers;");
  });
});

describe("configuration", () => {
  it("rejects a quorum the servers cannot meet, and bad server addresses", () => {
    expect(() => verifierFor([primaries[0].server], { quorum: 2 })).toThrow(/quorum 2 cannot be met by 1/);
    expect(() => verifierFor(["dns.example:53"])).toThrow(/Not a DNS server address/);
  });
});
