import { FragmentDefinitionNode, Kind, OperationDefinitionNode, buildSchema, parse } from "graphql";
import { operationLabel } from "./operation-label";

const schema = buildSchema(`
  type Query { viewer: String domains: [String] }
  type Mutation { claimDomain: String verifyDomain: String }
`);

function label(source: string): string {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  return operationLabel(schema, operation, fragments);
}

describe("operationLabel", () => {
  it("names an anonymous operation by its type and root field", () => {
    expect(label(`mutation { claimDomain }`)).toBe("mutation:claimDomain");
  });

  it("joins several root fields in a stable order, each once, through aliases and fragments", () => {
    expect(label(`{ b: viewer domains a: viewer }`)).toBe("query:domains,viewer");
    expect(label(`query Q { ...F } fragment F on Query { viewer ... on Query { domains } }`)).toBe("query:domains,viewer");
  });

  it("never carries the client's operation name, alias or unknown field names", () => {
    expect(label(`query EvilName_123 { viewer }`)).toBe("query:viewer");
    expect(label(`mutation { attackerChosen: claimDomain }`)).toBe("mutation:claimDomain");
    expect(label(`query { made_up_field viewer }`)).toBe("query:unknown,viewer");
    expect(label(`query { __typename }`)).toBe("query:__typename");
  });
});
