import fs from "node:fs";
import path from "node:path";
import { DocumentNode, FragmentDefinitionNode, Kind, OperationDefinitionNode, buildSchema, parse } from "graphql";
import { getComplexity } from "graphql-query-complexity";
import { CostedOperation, variablesTheCostReads, workEstimator } from "./query-cost";

const schema = buildSchema(fs.readFileSync(path.resolve(__dirname, "../../schema.graphql"), "utf8"));

function costed(query: string, operationName?: string): CostedOperation {
  return CostedOperation.of(schema, parse(query), operationName, 100)!;
}

/** What the walk gives with no cache at all: the oracle each cached answer is held to. */
function walked(query: string, variables: Record<string, unknown>): number {
  return getComplexity({ schema, query: parse(query), variables, estimators: [workEstimator] });
}

function costReads(query: string): string[] {
  const document: DocumentNode = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
  return [...variablesTheCostReads(operation, new Map(fragments.map((f) => [f.name.value, f])))].sort();
}

const PAGE = `query($first: Int!, $after: String, $log: Int) {
  domains(first: $first, after: $after) { totalCount nodes { name auditLog(first: $log) { nodes { id } } } }
}`;

describe("what an operation's cost depends on", () => {
  it("is the variables of `first` arguments and of directives, through fragments, and nothing else", () => {
    expect(costReads(PAGE)).toEqual(["first", "log"]);
    expect(costReads(`mutation($name: String!) { claimDomain(input: { name: $name }) { created } }`)).toEqual([]);
    expect(
      costReads(`query($n: Int!, $withLog: Boolean!, $skip: Boolean!, $after: String) {
        ...Page @skip(if: $skip)
      }
      fragment Page on Query { domains(first: $n, after: $after) { nodes { ... on Domain @include(if: $withLog) { name } } } }`),
    ).toEqual(["n", "skip", "withLog"]);
  });
});

describe("a costed operation", () => {
  it("gives the walk's cost for every value of what the cost reads, however the answers are cached", () => {
    const operation = costed(PAGE);
    const cases = [
      { first: 10, log: 5 },
      { first: 50, log: 10 },
      { first: 10, log: 5, after: "abc" },
      { first: 50, log: 10, after: "xyz" },
      { first: 10 },
      { first: 100, log: 100 },
    ];
    for (const variables of [...cases, ...cases]) {
      expect(operation.measure(variables)).toEqual({ kind: "measured", cost: walked(PAGE, variables) });
    }
    expect(walked(PAGE, { first: 10, log: 5 })).not.toBe(walked(PAGE, { first: 50, log: 10 }));
  });

  it("follows @include and @skip by their variables", () => {
    const query = `query($all: Boolean!) { domains(first: 50) { nodes { name auditLog(first: 50) @include(if: $all) { nodes { id } } } } }`;
    const operation = costed(query);
    const withLog = operation.measure({ all: true });
    const without = operation.measure({ all: false });
    expect(withLog).toEqual({ kind: "measured", cost: walked(query, { all: true }) });
    expect(without).toEqual({ kind: "measured", cost: walked(query, { all: false }) });
    expect(operation.measure({ all: true })).toEqual(withLog);
    expect(withLog).not.toEqual(without);
  });

  it("leaves variables it cannot coerce to GraphQL, each time", () => {
    const operation = costed(PAGE);
    expect(operation.measure({ first: 10 })).toMatchObject({ kind: "measured" });
    expect(operation.measure({ first: "ten" })).toEqual({ kind: "unmeasured" });
    expect(operation.measure({})).toEqual({ kind: "unmeasured" });
  });

  it("keeps no failed walk: a null where the schema wants a value fails only that request", () => {
    // The variable is nullable but the argument is not: coercion passes, the walk throws, and
    // GraphQL's validation refuses the document (a nullable variable where a value is required),
    // so it is left to GraphQL to say so.
    const query = `mutation($name: String) { claimDomain(input: { name: $name }) { created } }`;
    const operation = costed(query);
    expect(operation.measure({ name: null })).toEqual({ kind: "unmeasured" });
    expect(operation.measure({ name: "example.com" })).toEqual({ kind: "measured", cost: walked(query, { name: "example.com" }) });
  });

  it("counts aliases once, and refuses too many before any walk", () => {
    const aliases = Array.from({ length: 101 }, (_, i) => `a${i}: viewer { accountId }`).join(" ");
    expect(costed(`{ ${aliases} }`).measure({})).toEqual({ kind: "too-many-aliases", aliases: 101 });
  });

  it("is null for an operation the document does not have", () => {
    expect(CostedOperation.of(schema, parse(PAGE), "Missing", 100)).toBeNull();
  });
});

describe("the page a connection is costed at", () => {
  const nest = (first: string) => `{ events(first: ${first}) { nodes { domain { auditLog(first: ${first}) { nodes { id } } } } } }`;

  it("is the page the resolver serves: null, omitted and an unset variable all cost the declared default", () => {
    const asDefault = walked(`{ events(first: 50) { nodes { domain { auditLog(first: 20) { nodes { id } } } } } }`, {});
    expect(walked(nest("null"), {})).toBe(asDefault);
    expect(walked(`{ events { nodes { domain { auditLog { nodes { id } } } } } }`, {})).toBe(asDefault);
    const withVariable = `query($n: Int) { events(first: $n) { nodes { domain { auditLog(first: $n) { nodes { id } } } } } }`;
    expect(walked(withVariable, {})).toBe(asDefault);
    expect(walked(withVariable, { n: null })).toBe(asDefault);
    expect(costed(withVariable).measure({ n: null })).toEqual({ kind: "measured", cost: asDefault });
    expect(asDefault).toBeGreaterThan(50 * 20);
  });

  it("has a declared default from 1 to 100 on every `first` argument, so no field falls back to the largest page unknowingly", () => {
    const undeclared: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!("getFields" in type) || type.name.startsWith("__")) continue;
      for (const field of Object.values((type as { getFields(): Record<string, { name: string; args?: readonly { name: string; defaultValue: unknown }[] }> }).getFields())) {
        const first = field.args?.find((arg) => arg.name === "first");
        if (first && !(typeof first.defaultValue === "number" && first.defaultValue >= 1 && first.defaultValue <= 100)) undeclared.push(`${type.name}.${field.name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });
});

describe("a document the walk cannot cost", () => {
  it("is left to GraphQL's validation when validation refuses it, so the client hears what is wrong", () => {
    const badEnum = `mutation { createWebhookEndpoint(input: { url: "https://127.0.0.1:9/x", actions: [DOMAIN_VERIFIED] }) { endpoint { id } } }`;
    expect(costed(badEnum).measure({})).toEqual({ kind: "unmeasured" });
  });

  it("is still measured when it is valid", () => {
    expect(costed(PAGE).measure({ first: 10 })).toMatchObject({ kind: "measured" });
  });
});
