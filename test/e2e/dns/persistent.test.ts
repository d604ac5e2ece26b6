/**
 * Persistent records (dns-persist-01 syntax) through the real server, the configured verifier and
 * bind9 on loopback: the exact name and policy=subtree, records that must not count (another
 * account's, another issuer's, a past persistUntil), several TXT records at the host, removal and
 * the grace period, and a token regeneration that changes nothing.
 */
import { startBind9, type Bind9Server } from "../../support/bind9";
import { DATABASE_FLAVORS } from "../../support/databases";
import { TestApp, startTestApp } from "../../support/test-app";
import { ManualClock } from "../../../src/shared/clock";

const ZONE = "persist.test";
const DOMAIN = `id name status persistentRecord { type host relativeHost value } lastCheck { outcome method foundValues }`;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { ${DOMAIN} } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified domain { ${DOMAIN} } check { outcome method message hints foundValues } } }`;
const REGENERATE = `mutation($id: ID!) { regenerateToken(input: { id: $id }) { domain { status } } }`;
const AUDIT = `query($domainId: ID) { auditLog(domainId: $domainId, action: VERIFICATION_SUCCEEDED) { nodes { message check { method foundValues } } } }`;
const HOUR = 3600_000;

let dns: Bind9Server;
beforeAll(async () => {
  dns = await startBind9({ zones: [{ name: ZONE }] });
});
afterAll(async () => {
  await dns?.stop();
});

let seq = 0;
const fresh = (label: string) => `${label}-${process.pid}-${++seq}.${ZONE}`;
const txt = (host: string, ...values: string[]) => dns.update(ZONE, values.map((value) => `update add ${host}. 60 TXT "${value}"`));

describe.each(DATABASE_FLAVORS)("persistent records end to end on %s", (db) => {
  let t: TestApp;
  const clock = new ManualClock(new Date());
  beforeAll(async () => {
    t = await startTestApp({ db, overrides: { clock }, env: { DNS_SERVERS: dns.server, DNS_TIMEOUT_MS: "1500", PUBLIC_URL: "https://dnsproof.test", PERSIST_ISSUER: "dnsproof.test, old-name.test" } });
  });
  afterAll(async () => t?.close());

  const account = async (label: string) => {
    const id = `${label}-${db}-${++seq}`;
    return { id, token: await t.token(id), uri: `https://dnsproof.test/accounts/${id}` };
  };
  const claim = async (name: string, token: string) => (await t.gql(CLAIM, { name }, { token })).body.data.claimDomain.domain;
  const verify = async (id: string, token: string) => (await t.gql(VERIFY, { id }, { token })).body.data.verifyDomain;

  it("shows the record to publish, and verifies the exact name by it with method PERSISTENT, in the check, the audit entry and foundValues", async () => {
    const a = await account("exact");
    const domain = await claim(fresh("exact"), a.token);
    expect(domain.persistentRecord).toEqual({
      type: "TXT",
      host: `_dnsproof-persist.${domain.name}`,
      relativeHost: `_dnsproof-persist.${domain.name.slice(0, -(ZONE.length + 1))}`,
      value: `dnsproof.test; accounturi=${a.uri}`,
    });
    await txt(domain.persistentRecord.host, domain.persistentRecord.value);
    const result = await verify(domain.id, a.token);
    expect(result).toMatchObject({ verified: true, check: { outcome: "VERIFIED", method: "PERSISTENT", foundValues: [domain.persistentRecord.value] } });
    const [entry] = (await t.gql(AUDIT, { domainId: domain.id }, { token: a.token })).body.data.auditLog.nodes;
    expect(entry).toMatchObject({ check: { method: "PERSISTENT", foundValues: [domain.persistentRecord.value] } });
  });

  it("covers the names under a record with policy=subtree, looked up at the name's parents, and says so of a record without it", async () => {
    const a = await account("subtree");
    const parent = fresh("tree");
    await txt(`_dnsproof-persist.${parent}`, `dnsproof.test; accounturi=${a.uri}; policy=subtree`);
    const child = await claim(`api.eu.${parent}`, a.token);
    expect(await verify(child.id, a.token)).toMatchObject({ verified: true, check: { method: "PERSISTENT" } });

    const narrow = fresh("narrow");
    await txt(`_dnsproof-persist.${narrow}`, `dnsproof.test; accounturi=${a.uri}`);
    const uncovered = await claim(`www.${narrow}`, a.token);
    const refused = await verify(uncovered.id, a.token);
    expect(refused).toMatchObject({ verified: false, check: { outcome: "RECORD_NOT_FOUND" } });
    expect(refused.check.hints).toEqual(expect.arrayContaining([expect.stringContaining(`add "; policy=subtree"`)]));
  });

  it.each([
    ["another account's record", (other: string) => `dnsproof.test; accounturi=${other}`, "names another account"],
    ["another issuer's name", (_: string, mine: string) => `wrong-issuer.test; accounturi=${mine}`, "names the issuer wrong-issuer.test"],
    ["a persistUntil in the past", (_: string, mine: string) => `dnsproof.test; accounturi=${mine}; persistUntil=1700000000`, "stopped counting at 2023-11-14T22:13:20.000Z"],
  ])("never verifies by %s, and the hints say why", async (_, valueFor, hint) => {
    const [a, b] = [await account("owner"), await account("other")];
    const domain = await claim(fresh("refused"), b.token);
    await txt(domain.persistentRecord.host, valueFor(a.uri, b.uri));
    const result = await verify(domain.id, b.token);
    expect(result).toMatchObject({ verified: false, domain: { status: "FAILED" } });
    expect(result.check.hints).toEqual(expect.arrayContaining([expect.stringContaining(hint)]));
  });

  it("considers each of several TXT records at the host, and accepts an older issuer name still listed", async () => {
    const a = await account("several");
    const domain = await claim(fresh("several"), a.token);
    await txt(domain.persistentRecord.host, "v=spf1 -all", `ca.example; accounturi=https://ca.example/acct/1`, `OLD-NAME.test ;  AccountURI=${a.uri} ; note=published-by-hand`);
    expect(await verify(domain.id, a.token)).toMatchObject({ verified: true, check: { method: "PERSISTENT" } });
  });

  it("keeps a persistent verification across a token regeneration, looks again at each check, and revokes after the grace period once the record is removed", async () => {
    const a = await account("lasting");
    const domain = await claim(fresh("lasting"), a.token);
    await txt(domain.persistentRecord.host, domain.persistentRecord.value);
    expect((await verify(domain.id, a.token)).check.method).toBe("PERSISTENT");
    expect((await t.gql(REGENERATE, { id: domain.id }, { token: a.token })).body.data.regenerateToken.domain.status).toBe("VERIFIED");
    expect(await verify(domain.id, a.token)).toMatchObject({ verified: true, check: { method: "PERSISTENT" } });

    await dns.update(ZONE, [`update delete ${domain.persistentRecord.host}. TXT`]);
    expect(await verify(domain.id, a.token)).toMatchObject({ check: { outcome: "RECORD_NOT_FOUND" }, domain: { status: "VERIFIED" } });
    clock.advance(73 * HOUR);
    expect((await verify(domain.id, a.token)).domain.status).toBe("REVOKED");
  });

  it("keeps a name with the account whose persistent record is still published when another account proves its token record", async () => {
    const [a, b] = [await account("holder"), await account("challenger")];
    const name = fresh("held");
    const held = await claim(name, a.token);
    await txt(held.persistentRecord.host, held.persistentRecord.value);
    expect((await verify(held.id, a.token)).check.method).toBe("PERSISTENT");
    const challenger = (await t.gql(`mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { host value } } } }`, { name }, { token: b.token })).body.data.claimDomain.domain;
    await txt(challenger.txtRecord.host, challenger.txtRecord.value);
    expect((await verify(challenger.id, b.token)).check.outcome).toBe("VERIFIED_BY_ANOTHER_ACCOUNT");
    expect((await verify(held.id, a.token)).domain.status).toBe("VERIFIED");
  });
});
