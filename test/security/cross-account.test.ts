import { ManualClock } from "../../src/shared/clock";
import { toGlobalId } from "../../src/graphql/global-id";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";

const MISSING = "00000000-0000-7000-8000-000000000000";

type IdType = "Domain" | "AuditEntry" | "ApiKey" | "Account";

/** Every field and mutation that takes an id (as $id), with the kinds of id it takes. */
const ID_TAKING_OPERATIONS: [string, string, IdType[]][] = [
  ["domain", `query($id: ID!) { domain(id: $id) { id name status } }`, ["Domain"]],
  ["node", `query($id: ID!) { node(id: $id) { id ... on Domain { name } ... on AuditEntry { message } ... on ApiKey { name } } }`, ["Domain", "AuditEntry", "ApiKey"]],
  ["auditLog(domainId:)", `query($id: ID!) { auditLog(domainId: $id) { totalCount nodes { id message } } }`, ["Domain"]],
  ["adminDomains(accountId:)", `query($id: ID!) { adminDomains(accountId: $id) { totalCount nodes { id } } }`, ["Account"]],
  ["verifyDomain", `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified domain { id } check { outcome } userErrors { code field message } } }`, ["Domain"]],
  ["regenerateToken", `mutation($id: ID!) { regenerateToken(input: { id: $id }) { domain { id } userErrors { code field message } } }`, ["Domain"]],
  ["removeDomain", `mutation($id: ID!) { removeDomain(input: { id: $id }) { removedDomainId userErrors { code field message } } }`, ["Domain"]],
  ["createApiKey(domainId:)", `mutation($id: ID!) { createApiKey(input: { name: "stolen", domainId: $id }) { secret apiKey { id } userErrors { code field message } } }`, ["Domain"]],
  ["revokeApiKey", `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id revokedAt } userErrors { code field message } } }`, ["ApiKey"]],
];
const CASES = ID_TAKING_OPERATIONS.flatMap(([operation, query, types]) => types.map((type) => [operation, type, query] as const));

/** Everything the owner can see about its account, to prove that nothing changed. */
const OWNER_STATE = `{
  viewer { domainCount }
  domains { nodes { id name status verified tokenExpiresAt verifiedAt lastCheckedAt updatedAt txtRecord { value } auditLog { totalCount } } }
  auditLog(first: 100) { totalCount nodes { id action } }
  apiKeys { nodes { id name active revokedAt lastUsedAt } }
}`;

describe.each(DATABASE_FLAVORS)("another account's ids on %s", (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  const verifier = new ScriptedVerifier(clock);
  let owner: string;
  let ownerIds: Record<IdType, string>;
  let strangers: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ db, overrides: { clock, verifier }, env: { RATE_LIMIT_MUTATIONS_PER_MINUTE: "1000", RATE_LIMIT_VERIFY_PER_MINUTE: "1000" } });
    owner = await t.token(`owner-${db}`);
    const { domain } = (await t.gql(`mutation { claimDomain(input: { name: "owned.example.com" }) { domain { id txtRecord { value } } } }`, {}, { token: owner })).body.data.claimDomain;
    verifier.publish("owned.example.com", [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    await t.gql(`mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`, { id: domain.id }, { token: owner });
    const apiKey = (await t.gql(`mutation { createApiKey(input: { name: "owner's" }) { apiKey { id } } }`, {}, { token: owner })).body.data.createApiKey.apiKey;
    const entry = (await t.gql(`{ auditLog(first: 1) { nodes { id } } }`, {}, { token: owner })).body.data.auditLog.nodes[0];
    ownerIds = { Domain: domain.id, AuditEntry: entry.id, ApiKey: apiKey.id, Account: `owner-${db}` };

    const stranger = await t.token(`stranger-${db}`);
    const strangersDomain = (await t.gql(`mutation { claimDomain(input: { name: "strangers.example.com" }) { domain { id txtRecord { value } } } }`, {}, { token: stranger })).body.data.claimDomain.domain;
    verifier.publish("strangers.example.com", [strangersDomain.txtRecord.value.replace("dnsproof-verification=", "")]);
    await t.gql(`mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`, { id: strangersDomain.id }, { token: stranger });
    const key = async (domainId?: string) =>
      (await t.gql(`mutation($d: ID) { createApiKey(input: { name: "k", domainId: $d }) { secret } }`, { d: domainId }, { token: stranger })).body.data.createApiKey.secret;
    strangers = { "a user": stranger, "an API key": await key(), "a scoped API key": await key(strangersDomain.id) };
  });
  afterAll(async () => t?.close());

  /** The id of the same type as `id`, that exists nowhere. */
  const missingLike = (type: IdType) => (type === "Account" ? `nobody-${db}` : toGlobalId(type, MISSING));

  it.each(CASES)("%s with the owner's %s id answers as for a missing id, to a user and API keys alike, and changes nothing", async (_operation, type, query) => {
    const before = await t.gql(OWNER_STATE, {}, { token: owner });
    for (const [who, token] of Object.entries(strangers)) {
      const withOwners = await t.gql(query, { id: ownerIds[type] }, { token });
      const withMissing = await t.gql(query, { id: missingLike(type) }, { token });
      expect({ who, status: withOwners.status, body: withOwners.body }).toEqual({ who, status: withMissing.status, body: withMissing.body });
      expect(JSON.stringify(withOwners.body)).not.toMatch(/owned\.example\.com|owner's|owner-/);
    }
    expect((await t.gql(OWNER_STATE, {}, { token: owner })).body).toEqual(before.body);
  });

  it("leaves the owner's key working and its domain verified after all of that", async () => {
    const state = (await t.gql(OWNER_STATE, {}, { token: owner })).body.data;
    expect(state.domains.nodes).toEqual([expect.objectContaining({ name: "owned.example.com", status: "VERIFIED" })]);
    expect(state.apiKeys.nodes).toEqual([expect.objectContaining({ active: true, revokedAt: null })]);
  });
});
