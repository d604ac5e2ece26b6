import {
  DirectiveNode,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  SelectionNode,
  SelectionSetNode,
  ValueNode,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isLeafType,
  validate,
} from "graphql";
import { ComplexityEstimator, getComplexity } from "graphql-query-complexity";
import { MAX_PAGE_SIZE, effectivePageSize } from "../shared/pagination";

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
  const firstArg = field.args.find((arg) => arg.name === "first");
  if (!firstArg) return 1 + childComplexity;
  // What the resolver will fetch: null, omitted or an unset variable all mean the declared default
  // (the whole page, not 1); a field that declares none is costed as the largest page.
  const declared = typeof firstArg.defaultValue === "number" ? firstArg.defaultValue : MAX_PAGE_SIZE;
  const first = Math.max(0, effectivePageSize(typeof args.first === "number" ? args.first : null, declared));
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

/** Costs kept per operation: one for each value of the variables the cost depends on. */
const COSTS_PER_OPERATION = 32;

/**
 * One operation of a document, analysed once: its aliases, and which variables its cost can
 * depend on (those in a `first` argument, which the estimator reads, and in directives such
 * as @include, which decide what is walked). A request that repeats a document pays only for
 * coercing its variables; the cost for the same values of those variables is remembered, so
 * a claim's name or a page's cursor never makes the walk run again.
 */
export class CostedOperation {
  private readonly fragments: FragmentDefinitionNode[];
  private readonly aliases: number;
  private readonly costVariables: string[];
  private readonly costs = new Map<string, number>();
  /** Whether GraphQL's own validation refuses the document: asked only when a walk fails, then kept. */
  private invalid: boolean | undefined;

  private constructor(
    private readonly schema: GraphQLSchema,
    private readonly operation: OperationDefinitionNode,
    private readonly document: DocumentNode,
    private readonly maxAliases: number,
  ) {
    this.fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
    const byName = new Map(this.fragments.map((f) => [f.name.value, f]));
    this.aliases = countAliases(operation, byName);
    this.costVariables = [...variablesTheCostReads(operation, byName)].sort();
  }

  /** Null when the document has no such operation (GraphQL itself answers that). */
  static of(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, maxAliases: number): CostedOperation | null {
    const operation = getOperationAST(document, operationName ?? undefined);
    return operation ? new CostedOperation(schema, operation, document, maxAliases) : null;
  }

  measure(variables: Record<string, unknown> | null | undefined): OperationCost {
    const coerced = getVariableValues(this.schema, this.operation.variableDefinitions ?? [], variables ?? {});
    if (coerced.errors) return { kind: "unmeasured" };
    if (this.aliases > this.maxAliases) return { kind: "too-many-aliases", aliases: this.aliases };
    const key = JSON.stringify(this.costVariables.map((name) => coerced.coerced[name] ?? null));
    const known = this.costs.get(key);
    if (known !== undefined) return { kind: "measured", cost: known };
    const cost = this.walk(coerced.coerced);
    if (cost === "invalid") return { kind: "unmeasured" };
    // A walk that failed is not kept: its cause (a null in a non-null argument, say) may lie in the other variables.
    if (cost !== null) {
      if (this.costs.size >= COSTS_PER_OPERATION) this.costs.delete(this.costs.keys().next().value!);
      this.costs.set(key, cost);
    }
    return { kind: "measured", cost };
  }

  /**
   * The cost; null when it cannot be estimated (the library's own cap on the fields it walks);
   * "invalid" when the walk failed on something GraphQL's validation refuses anyway (an unknown
   * enum value in an argument, say), so the client hears what is wrong rather than "too complex".
   * A document that validates but still cannot be walked stays refused.
   */
  private walk(variables: Record<string, unknown>): number | null | "invalid" {
    try {
      return getComplexity({
        schema: this.schema,
        query: { kind: Kind.DOCUMENT, definitions: [this.operation, ...this.fragments] },
        variables,
        estimators: [workEstimator],
      });
    } catch {
      this.invalid ??= validate(this.schema, this.document).length > 0;
      return this.invalid ? "invalid" : null;
    }
  }
}

/**
 * The variables that can change the cost: any used in a field's `first` argument (what
 * workEstimator reads of the arguments) or in a directive's arguments (@skip and @include
 * decide what getComplexity walks), in the operation and the fragments it spreads.
 */
export function variablesTheCostReads(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): Set<string> {
  const found = new Set<string>();
  const collect = (node: ValueNode) => {
    if (node.kind === Kind.VARIABLE) found.add(node.name.value);
    else if (node.kind === Kind.LIST) node.values.forEach(collect);
    else if (node.kind === Kind.OBJECT) node.fields.forEach((field) => collect(field.value));
  };
  const directives = (list: readonly DirectiveNode[] | undefined) => list?.forEach((d) => d.arguments?.forEach((arg) => collect(arg.value)));
  directives(operation.directives);
  eachSelection(operation, fragments, (node) => {
    directives(node.directives);
    if (node.kind === Kind.FIELD) for (const arg of node.arguments ?? []) if (arg.name.value === "first") collect(arg.value);
  });
  return found;
}

/** Aliases in the operation and in every fragment it uses, each fragment counted once so a fragment bomb stays cheap to count. */
export function countAliases(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): number {
  let aliases = 0;
  eachSelection(operation, fragments, (node) => {
    if (node.kind === Kind.FIELD && node.alias) aliases++;
  });
  return aliases;
}

/**
 * Every selection of the operation, and every fragment it spreads, each fragment's body walked
 * once however often it is spread: what the cost's own walk would multiply stays linear here.
 */
function eachSelection(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, see: (node: SelectionNode | FragmentDefinitionNode) => void): void {
  const visited = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      see(selection);
      if (selection.kind === Kind.FIELD) {
        if (selection.selectionSet) visit(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) {
          see(fragment);
          visit(fragment.selectionSet);
        }
      }
    }
  };
  visit(operation.selectionSet);
}
