import { getIntrospectionQuery, parse } from "graphql";
import { countSelections, parseWithinLimits } from "./document-limits";

const LIMITS = { maxTokens: 2_000, maxSelections: 300 };

describe("parseWithinLimits", () => {
  it("refuses a document past the token limit, by graphql-js's own maxTokens", () => {
    const result = parseWithinLimits(`{ ${"__typename ".repeat(2_500)}}`, LIMITS);
    expect(result).toMatchObject({ kind: "refused", error: { extensions: { code: "QUERY_TOO_COMPLEX", maxTokens: 2_000 } } });
  });

  it("refuses more selections than allowed, fragments counted where they are written", () => {
    const repeated = `{ ${"viewer { accountId } ".repeat(160)}}`;
    expect(parseWithinLimits(repeated, LIMITS)).toMatchObject({ kind: "refused", error: { extensions: { code: "QUERY_TOO_COMPLEX", maxSelections: 300 } } });
    const fragments = `{ ...A } fragment A on Query { ${"viewer { accountId } ".repeat(151)}}`;
    expect(parseWithinLimits(fragments, LIMITS).kind).toBe("refused");
  });

  it("reads a syntax error as GraphQL's to answer, not as a refusal", () => {
    expect(parseWithinLimits("{ viewer { ", LIMITS)).toEqual({ kind: "syntax-error" });
  });

  it("serves introspection and the frontends' largest query under the defaults", () => {
    expect(parseWithinLimits(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true }), LIMITS).kind).toBe("parsed");
    const frontend = `{ domains(first: 100) { totalCount nodes { id name unicodeName status verified lastCheck { outcome message hints servers { server answer values } } auditLog(first: 10) { totalCount edges { cursor node { id action message createdAt actor { type id email } } } pageInfo { hasNextPage endCursor } } } pageInfo { hasNextPage endCursor } } }`;
    expect(parseWithinLimits(frontend, LIMITS).kind).toBe("parsed");
  });
});

describe("countSelections", () => {
  it("counts fields, spreads and inline fragments once each, in operations and fragments", () => {
    expect(countSelections(parse(`{ a { b c } ...F ... on Query { d } } fragment F on Query { e }`))).toBe(7);
  });

  it("stops just past the limit it is given", () => {
    expect(countSelections(parse(`{ ${"a ".repeat(1_000)}}`), 10)).toBe(11);
  });
});
