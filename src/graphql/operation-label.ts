import { FragmentDefinitionNode, GraphQLSchema, Kind, OperationDefinitionNode, SelectionSetNode } from "graphql";

/** Stands for root fields the schema does not have (the operation then fails validation anyway). */
export const UNKNOWN_ROOT_FIELD = "unknown";

const META_FIELDS = new Set(["__typename", "__schema", "__type"]);

/**
 * What an operation is called in metrics and logs: its type and root fields, e.g.
 * `mutation:claimDomain` or `query:domains,viewer` (sorted, each once). Only names the
 * schema itself defines get through, never the client's operation name or aliases, so a
 * caller cannot mint label values of its choosing.
 */
export function operationLabel(schema: GraphQLSchema, operation: OperationDefinitionNode | null | undefined, fragments: ReadonlyMap<string, FragmentDefinitionNode>): string {
  if (!operation) return UNKNOWN_ROOT_FIELD;
  const root = operation.operation === "query" ? schema.getQueryType() : operation.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
  const known = root ? root.getFields() : {};
  const names = new Set<string>();
  const visited = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        names.add(Object.hasOwn(known, name) || META_FIELDS.has(name) ? name : UNKNOWN_ROOT_FIELD);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(operation.selectionSet);
  return `${operation.operation}:${[...names].sort().join(",")}`;
}
