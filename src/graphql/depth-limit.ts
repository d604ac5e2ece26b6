import { FragmentDefinitionNode, GraphQLError, Kind, SelectionSetNode, ValidationContext, ValidationRule } from "graphql";
import { ErrorCode } from "./errors";

/**
 * Refuses operations nested deeper than `maxDepth` fields, fragments included. A validation
 * rule, so a refused document is never executed and an accepted one is not checked again.
 * `ofType` does not count: it unwraps one type and cannot fan out, and the explorer's
 * introspection query nests it seven times.
 */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext) => {
    // Each fragment's own depth, worked out once, so fragments spreading fragments cannot make this exponential.
    const fragmentDepths = new Map<string, number>();
    const depthOf = (set: SelectionSetNode, onPath: Set<string>): number => {
      let deepest = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const own = selection.name.value === "ofType" ? 0 : 1;
          deepest = Math.max(deepest, own + (selection.selectionSet ? depthOf(selection.selectionSet, onPath) : 0));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, onPath));
        } else {
          deepest = Math.max(deepest, fragmentDepth(context.getFragment(selection.name.value), onPath));
        }
        if (deepest > maxDepth) break;
      }
      return deepest;
    };
    const fragmentDepth = (fragment: FragmentDefinitionNode | null | undefined, onPath: Set<string>): number => {
      // Unknown and cyclic fragments are reported by graphql-js's own rules.
      if (!fragment || onPath.has(fragment.name.value)) return 0;
      const name = fragment.name.value;
      let depth = fragmentDepths.get(name);
      if (depth === undefined) {
        depth = depthOf(fragment.selectionSet, new Set([...onPath, name]));
        fragmentDepths.set(name, depth);
      }
      return depth;
    };
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`This query nests fields more than ${maxDepth} deep; ask for less nesting.`, {
              nodes: [operation],
              extensions: { validationErrorCode: ErrorCode.QUERY_TOO_DEEP, maxDepth },
            }),
          );
        }
      },
    };
  };
}
