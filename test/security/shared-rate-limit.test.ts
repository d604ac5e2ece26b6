import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { DATABASE_FLAVORS, createScratchDatabase, ScratchDatabase } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`;
const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { created } }`;
const MISSING_ID = Buffer.from("Domain:00000000-0000-7000-8000-000000000000").toString("base64url");

describe.each(DATABASE_FLAVORS)("two instances behind one Redis on %s", (db) => {
  let database: ScratchDatabase;
  let instances: TestApp[];
  const prefix = `dnsproof-test:${randomBytes(6).toString("hex")}:`;

  beforeAll(async () => {
    database = await createScratchDatabase(db);
    const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_MUTATIONS_PER_MINUTE: "10", RATE_LIMIT_VERIFY_PER_MINUTE: "5", MAX_DOMAINS_PER_ACCOUNT: "100" };
    instances = [await startTestApp({ database, env }), await startTestApp({ database, env })];
  });
  afterAll(async () => {
    for (const instance of instances ?? []) await instance.close();
    await database?.drop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  /** `count` requests at once, alternating between the instances; the HTTP statuses. */
  const burst = async (count: number, send: (instance: TestApp, i: number) => Promise<{ status: number }>) =>
    Promise.all(Array.from({ length: count }, (_, i) => send(instances[i % 2], i).then((r) => r.status)));

  it("holds verifyDomain's limit across them when both are hit at the same instant", async () => {
    const token = await instances[0].token(`shared-${db}-verify`);
    const statuses = await burst(40, (instance) => instance.gql(VERIFY, { id: MISSING_ID }, { token }));
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
  });

  it("holds the shared claim/regenerate/remove quota across them, so exactly that many claims exist", async () => {
    const token = await instances[0].token(`shared-${db}-claims`);
    const statuses = await burst(30, (instance, i) => instance.gql(CLAIM, { name: `burst${i}.example.com` }, { token }));
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect((await instances[1].gql(`{ viewer { domainCount } }`, {}, { token })).body.data.viewer.domainCount).toBe(10);
  });

  it("counts an account once across both: what one instance used, the other refuses", async () => {
    const token = await instances[0].token(`shared-${db}-sequential`);
    for (let i = 0; i < 5; i++) expect((await instances[0].gql(VERIFY, { id: MISSING_ID }, { token })).status).toBe(200);
    const refused = await instances[1].gql(VERIFY, { id: MISSING_ID }, { token });
    expect(refused.status).toBe(429);
    expect(refused.body.errors![0].extensions).toEqual({ code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) });
  });
});
