import { buildSchema } from "graphql";
import { checkSubscribe, replayBudget } from "./subscribe-checks";

const schema = buildSchema(`
  type Query { ping: Int }
  type Entry { id: ID page(first: Int): [Entry] }
  type Subscription { added: Entry }
`);
const limits = { validationRules: [], limits: { maxComplexity: 1000, maxAliases: 2, maxTokens: 200, maxSelections: 20 } };
const codes = (result: ReturnType<typeof checkSubscribe>) => ("document" in result ? [] : result.map((e) => e.extensions.code));

describe("checkSubscribe", () => {
  it("accepts a subscription within the limits and tells its cost per event", () => {
    const result = checkSubscribe(schema, { query: "subscription { added { id page(first: 10) { id } } }" }, limits);
    expect(result).toMatchObject({ costPerEvent: expect.any(Number) });
    expect("document" in result && result.costPerEvent).toBeGreaterThanOrEqual(10);
  });

  it("refuses with the codes a request gets", () => {
    expect(codes(checkSubscribe(schema, { query: "subscription {" }, limits))).toEqual(["GRAPHQL_PARSE_FAILED"]);
    expect(codes(checkSubscribe(schema, { query: "subscription { added { nope } }" }, limits))).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(codes(checkSubscribe(schema, { query: "{ ping }" }, limits))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(checkSubscribe(schema, { query: "subscription { added { a: id b: id c: id } }" }, limits))).toEqual(["TOO_MANY_ALIASES"]);
    const costly = "subscription { added { page(first: 100) { page(first: 100) { id } } } }";
    expect(codes(checkSubscribe(schema, { query: costly }, limits))).toEqual(["QUERY_TOO_COMPLEX"]);
    // Past the token and selection limits, refused before validation as on HTTP.
    const refusal = (query: string) => (checkSubscribe(schema, { query }, limits) as readonly { extensions: Record<string, unknown> }[])[0].extensions;
    expect(refusal(`subscription { added { ${"id ".repeat(250)}} }`)).toMatchObject({ code: "QUERY_TOO_COMPLEX", maxTokens: 200 });
    expect(refusal(`subscription { added { ${"id ".repeat(30)}} }`)).toMatchObject({ code: "QUERY_TOO_COMPLEX", maxSelections: 20 });
  });
});

describe("replayBudget", () => {
  it("is SUBSCRIPTIONS_MAX_REPLAY, or what a query of the same cost could fetch if fewer, and always at least one", () => {
    expect(replayBudget(1000, 250_000, 2)).toBe(1000);
    expect(replayBudget(1000, 250_000, 2_500)).toBe(100);
    expect(replayBudget(1000, 250_000, 250_000)).toBe(1);
    expect(replayBudget(1000, 250_000, null)).toBe(1000);
  });
});
