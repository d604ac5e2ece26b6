import { TestApp, startTestApp } from "../support/test-app";
import { connectSubscriber } from "../support/subscriptions";

/**
 * Errors sent over WebSocket in production: formatted as HTTP's are, so they name nothing of
 * the schema that a client did not ask for ("Did you mean ...") and carry the same codes.
 */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("WebSocket errors in production", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { NODE_ENV: "production", WEBHOOK_WORKER_ENABLED: "false" } });
  });
  afterAll(async () => t?.close());

  const overWebSocket = async (query: string) => {
    const connection = connectSubscriber(t.url, `Bearer ${await t.token("ws-errors")}`);
    const subscriber = connection.subscribe(query);
    for (let i = 0; i < 100 && subscriber.errors.length === 0; i++) await pause(50);
    await connection.client.dispose();
    const errors = subscriber.errors[0] as any[];
    return errors.map(({ message, extensions }) => ({ message, code: extensions?.code }));
  };
  const overHttp = async (query: string) => (await t.gql(query)).body.errors!.map(({ message, extensions }) => ({ message, code: extensions?.code }));

  it("suggest no field or argument names, and read as HTTP's do", async () => {
    const field = await overWebSocket(`subscription { auditEntryAdded { actoin } }`);
    expect(field).toEqual(await overHttp(`{ events { nodes { actoin } } }`));
    expect(field).toEqual([{ message: 'Cannot query field "actoin" on type "AuditEntry".', code: "GRAPHQL_VALIDATION_FAILED" }]);

    const argument = await overWebSocket(`subscription { auditEntryAdded(domainID: "x") { id } }`);
    expect(argument).toEqual([{ message: 'Unknown argument "domainID" on field "Subscription.auditEntryAdded".', code: "GRAPHQL_VALIDATION_FAILED" }]);
    expect(JSON.stringify(argument)).not.toContain("Did you mean");
  });

  it("give a syntax error its code rather than an internal error", async () => {
    expect(await overWebSocket(`subscription { auditEntryAdded { id }`)).toEqual(await overHttp(`{ events { nodes { id } }`));
    expect((await overWebSocket(`subscription {`))[0].code).toBe("GRAPHQL_PARSE_FAILED");
  });
});
