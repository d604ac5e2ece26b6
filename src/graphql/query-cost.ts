import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isLeafType,
} from "graphql";
import { ComplexityEstimator, getComplexity } from "graphql-query-complexity";

/** What one `totalCount` costs: a COUNT query of its own, however many rows the page holds. */
export const TOTAL_COUNT_COST = 1;

/**
 * The cost tracks the work a query causes. Every object costs 1 plus what is selected in it; a
 * scalar comes with its row and is free, except `totalCount`, which is a query of its own. A
 * connection (a field with a `first` argument) fetches `first` rows whatever is selected under
 * it, so it costs at least `first`, and `first` times each item's cost when items select more:
 * `domains(first: 100) { nodes { auditLog(first: 100) { nodes { id } } } }` costs about 100 × 100,
 * and `auditLog(first: 100) { totalCount }` costs 102, not 1.
 */
export const workEstimator: ComplexityEstimator = ({ type, field, node, args, childComplexity }) => {
  if (isLeafType(getNamedType(field.type))) return field.name === "totalCount" && type.name.endsWith("Connection") ? TOTAL_COUNT_COST : 0;
  if (!field.args.some((arg) => arg.name === "first")) return 1 + childComplexity;
  const first = typeof args.first === "number" ? Math.max(0, args.first) : 1;
  // A totalCount spelled out in the connection's own selection is counted once, not once per row.
  const count = selectsTotalCount(node) ? TOTAL_COUNT_COST : 0;
  return 1 + first * Math.max(1, childComplexity - count) + count;
};

function selectsTotalCount(node: FieldNode): boolean {
  return node.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && s.name.value === "totalCount" && !s.alias) ?? false;
}

export type OperationCost =
  /** Nothing to measure (no such operation, a syntax error, bad variables): GraphQL itself answers. */
  | { kind: "unmeasured" }
  /** Over `maxAliases`: not costed, which for thousands of fields takes a while. */
  | { kind: "too-many-aliases"; aliases: number }
  /** `cost` null: too many fields to estimate at all (fragments spread over and over). */
  | { kind: "measured"; cost: number | null };

/** The cost and the alias count of the operation a request names, from its document and variables. */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  maxAliases: number,
): OperationCost {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return { kind: "unmeasured" };
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return { kind: "unmeasured" };
  const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
  const aliases = countAliases(operation, new Map(fragments.map((f) => [f.name.value, f])));
  if (aliases > maxAliases) return { kind: "too-many-aliases", aliases };
  let cost: number | null;
  try {
    cost = getComplexity({ schema, query: { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] }, variables: coerced.coerced, estimators: [workEstimator] });
  } catch {
    // The only failure left is the library's own cap on the fields it walks.
    cost = null;
  }
  return { kind: "measured", cost };
}

/** Aliases in the operation and in every fragment it uses, each fragment counted once so a fragment bomb stays cheap to count. */
export function countAliases(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): number {
  const visited = new Set<string>();
  let aliases = 0;
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases++;
        if (selection.selectionSet) visit(selection.selectionSet);
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
  return aliases;
}
