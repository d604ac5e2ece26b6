import { ManualClock } from "../../src/shared/clock";
import { DATABASE_FLAVORS } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";

const ENTRY = `id action domainName message previousStatus newStatus requestId createdAt actor { type id email } check { outcome method message checkedAt foundValues servers { server answer } }`;
const PAGE = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${ENTRY} } } nodes { id }`;

/**
 * Domain.auditLog reads its pages in raw SQL (one window query for every domain of the
 * response): what it answers must be exactly what the account-wide auditLog, read through
 * TypeORM, answers for the same entries, page after page.
 */
describe.each(DATABASE_FLAVORS)("Domain.auditLog on %s", (db) => {
  let t: TestApp;
  const clock = new ManualClock("2026-11-22T10:00:00.000Z");
  const verifier = new ScriptedVerifier(clock);
  const ids: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ db, overrides: { clock, verifier } });
    for (const name of ["a.example.com", "b.example.com", "quiet.example.com"]) {
      ids.push((await t.gql(`mutation($n: String!) { claimDomain(input: { name: $n }) { domain { id } } }`, { n: name })).body.data.claimDomain.domain.id);
    }
    // Five entries for a, with a check among them; one for b; quiet keeps its claim entry only.
    for (let i = 0; i < 2; i++) {
      clock.advance(1000);
      await t.gql(`mutation($id: ID!) { regenerateToken(input: { id: $id }) { domain { id } } }`, { id: ids[0] });
    }
    clock.advance(1000);
    await t.gql(`mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`, { id: ids[0] });
    clock.advance(1000);
    await t.gql(`mutation($id: ID!) { regenerateToken(input: { id: $id }) { domain { id } } }`, { id: ids[0] });
  }, 60_000);
  afterAll(async () => t?.close());

  const accountWide = async (domainId: string) =>
    (await t.gql(`query($id: ID!) { auditLog(domainId: $id, first: 100) { nodes { ${ENTRY} } } }`, { id: domainId })).body.data.auditLog.nodes;

  it("answers every domain's page with its totals, entries and checks as the account-wide log does", async () => {
    const result = await t.gql(`{ domains(first: 10) { nodes { id name auditLog(first: 2) { ${PAGE} } } } }`);
    expect(result.body.errors).toBeUndefined();
    const byId = new Map(result.body.data.domains.nodes.map((d: any) => [d.id, d.auditLog]));
    const a: any = byId.get(ids[0]);
    const expected = await accountWide(ids[0]);
    expect(expected).toHaveLength(5);
    expect(a.totalCount).toBe(5);
    expect(a.edges.map((e: any) => e.node)).toEqual(expected.slice(0, 2));
    expect(a.nodes.map((n: any) => n.id)).toEqual(expected.slice(0, 2).map((e: any) => e.id));
    expect(a.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: a.edges[0].cursor, endCursor: a.edges[1].cursor });
    expect(expected.some((e: any) => e.check?.servers?.length === 1)).toBe(true);
    for (const [index, count] of [[1, 1], [2, 1]]) {
      const page: any = byId.get(ids[index]);
      expect(page.totalCount).toBe(count);
      expect(page.edges.map((e: any) => e.node)).toEqual(await accountWide(ids[index]));
      expect(page.pageInfo.hasNextPage).toBe(false);
    }
  });

  it("continues after a cursor with the same totals", async () => {
    const query = `query($after: String) { domains(first: 10) { nodes { id auditLog(first: 2, after: $after) { ${PAGE} } } } }`;
    const expected = await accountWide(ids[0]);
    const seen: any[] = [];
    let after: string | null = null;
    for (let round = 0; round < 3; round++) {
      const result: any = await t.gql(query, { after });
      expect(result.body.errors).toBeUndefined();
      const page = result.body.data.domains.nodes.find((d: any) => d.id === ids[0]).auditLog;
      expect(page.totalCount).toBe(5);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.edges.map((e: any) => e.node));
      after = page.pageInfo.endCursor;
      if (!page.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual(expected);
  });
});
