/**
 * Replays the review's finding: a rate-limited request created domains while every operation
 * answered RATE_LIMITED with `data: null`. Mutation payloads are non-null, so one refused alias
 * nulled the whole operation's data, hiding the claims its other aliases had made. Now an
 * operation's rate-limited fields are counted together before it runs: it runs whole, and
 * reports its data, or is refused whole and changes nothing.
 */
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

const claims = (prefix: string, n: number) =>
  `mutation { ${Array.from({ length: n }, (_, i) => `c${i}: claimDomain(input: { name: "${prefix}${i}.example.com" }) { domain { name } userErrors { code } }`).join(" ")} }`;

describe.each(DATABASE_FLAVORS)("rate-limited requests on %s", (db) => {
  let t: TestApp;
  let seq = 0;
  beforeAll(async () => {
    t = await startTestApp({ db, env: { RATE_LIMIT_MUTATIONS_PER_MINUTE: "5", MAX_DOMAINS_PER_ACCOUNT: "100" } });
  });
  afterAll(async () => t?.close());

  const count = async (token: string) => (await t.gql(`{ viewer { domainCount } }`, {}, { token })).body.data.viewer.domainCount;

  it("refuse an operation whose aliases exceed the quota whole, changing nothing", async () => {
    const token = await t.token(`batch-${db}-${++seq}`);
    const refused = await t.gql(claims("over", 10), {}, { token });
    expect(refused.status).toBe(429);
    expect(refused.body.data ?? null).toBeNull();
    expect(refused.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "RATE_LIMITED" }) })]);
    expect(await count(token)).toBe(0);
    // The refusal used none of the quota: five still fit.
    const served = await t.gql(claims("fits", 5), {}, { token });
    expect(served.body.errors).toBeUndefined();
    expect(Object.values(served.body.data).map((c: any) => c.domain.name)).toHaveLength(5);
    expect(await count(token)).toBe(5);
  });

  it("report, in a batch, the data of every operation that ran and change nothing for those refused", async () => {
    const token = await t.token(`batch-${db}-${++seq}`);
    const batch = [claims("a", 2), claims("b", 2), claims("c", 2), claims("d", 2)].map((query) => ({ query }));
    const response = await t.post(batch, { token });
    expect(response.body).toHaveLength(4);
    const ran = response.body.filter((r: any) => r.data);
    const refused = response.body.filter((r: any) => !r.data);
    expect(ran).toHaveLength(2);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.errors[0].extensions.code).toBe("RATE_LIMITED");
    const reported = ran.flatMap((r: any) => Object.values(r.data).map((c: any) => c.domain.name)).sort();
    const held = (await t.gql(`{ domains(first: 100) { nodes { name } } }`, {}, { token })).body.data.domains.nodes.map((n: any) => n.name).sort();
    expect(held).toEqual(reported);
    expect(held).toHaveLength(4);
  });
});
