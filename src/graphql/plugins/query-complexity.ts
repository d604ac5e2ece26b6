import type { ApolloServerPlugin } from "@apollo/server";
import { DocumentNode, Kind, getNamedType, getVariableValues, isLeafType } from "graphql";
import { ComplexityEstimator, getComplexity } from "graphql-query-complexity";
import type { RequestContext } from "../context";
import { queryTooComplex } from "../errors";

/**
 * The cost counts objects, not columns: a scalar is free (it comes with its row), every object
 * costs 1 plus what is selected in it, and a connection (a field with a `first` argument)
 * costs `first` times what is selected for each item. So
 * `domains(first: 100) { nodes { auditLog(first: 100) { nodes { id } } } }` costs about 100 × 100,
 * and the cost tracks how many objects the response can hold.
 */
const objectCountEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (isLeafType(getNamedType(field.type))) return 0;
  const first = field.args.some((arg) => arg.name === "first") && typeof args.first === "number" ? Math.max(0, args.first) : 1;
  return 1 + first * childComplexity;
};

/**
 * Refuses operations whose estimated cost exceeds `maxComplexity`, after validation and before
 * execution: the cost depends on variables (`first: $n`), which a cached validation never sees.
 */
export function queryComplexityPlugin(maxComplexity: number): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          // No operation to run: Apollo answers that itself.
          if (!operation) return;
          const variables = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
          // Execution reports variables that do not fit the operation, with its precise message.
          if (variables.errors) return;
          const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
          const query: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] };
          let complexity: number;
          try {
            complexity = getComplexity({ schema, query, variables: variables.coerced, estimators: [objectCountEstimator] });
          } catch {
            // The only failure left is the library's own cap on the fields it walks (fragments spread over and over).
            throw queryTooComplex(null, maxComplexity);
          }
          if (complexity > maxComplexity) throw queryTooComplex(complexity, maxComplexity);
        },
      };
    },
  };
}
