import type { ApolloServerPlugin } from "@apollo/server";
import { FieldNode, FragmentDefinitionNode, Kind, OperationDefinitionNode, SelectionSetNode } from "graphql";
import type { RequestContext } from "../context";
import { SIGN_IN_HINT, unauthenticated } from "../errors";
import type { GraphqlMetrics } from "../metrics";
import { UNKNOWN_ROOT_FIELD, operationLabel } from "../operation-label";

const PUBLIC_ROOT_FIELDS = new Set(["__typename", "__schema", "__type"]);

/**
 * Per operation: refuses anything but __typename and introspection without credentials
 * (before any resolver runs), and records metrics and one structured log line.
 */
export function requestLifecyclePlugin(metrics: GraphqlMetrics, options: { signInHint: boolean }): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      let operation = UNKNOWN_ROOT_FIELD;
      let operationName: string | null = null;
      let type = "unknown";
      return {
        async didResolveOperation({ operation: op, document, schema }) {
          const fragments = new Map(
            document.definitions
              .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
              .map((d) => [d.name.value, d]),
          );
          operation = metrics.operationLabel(operationLabel(schema, op, fragments));
          // The client's own name goes to logs only: as a metric label it would be the caller's to choose.
          operationName = op?.name?.value ?? null;
          type = op?.operation ?? "unknown";
          if (contextValue.principal || !op) return;
          if (!selectsOnlyPublicFields(op, fragments)) {
            const refusal = unauthenticated(contextValue.authProblem ?? undefined);
            if (options.signInHint) refusal.message = `${refusal.message} ${SIGN_IN_HINT}`;
            throw refusal;
          }
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) metrics.graphqlErrors.inc({ code: String(error.extensions?.code ?? "INTERNAL_SERVER_ERROR") });
        },
        async willSendResponse({ errors }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          metrics.graphqlRequests.inc({ operation, type });
          metrics.graphqlDuration.observe({ operation }, seconds);
          const { principal, authProblem } = contextValue;
          contextValue.log.info(
            {
              operation,
              operationName,
              type,
              durationMs: Math.round(seconds * 1000),
              errors: errors?.map((e) => e.extensions?.code),
              accountId: principal?.accountId ?? null,
              via: principal?.via ?? null,
              // Why credentials that were sent were refused; our own words, never the token.
              ...(authProblem ? { authProblem } : {}),
            },
            "graphql operation",
          );
        },
      };
    },
  };
}

function selectsOnlyPublicFields(op: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): boolean {
  // Each fragment is looked at once: a fragment spread twice in each of thirty fragments must not cost 2^30 visits.
  const visited = new Set<string>();
  const visit = (set: SelectionSetNode): boolean =>
    set.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) return PUBLIC_ROOT_FIELDS.has((selection as FieldNode).name.value);
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visited.has(name)) return true;
      visited.add(name);
      return visit(fragment.selectionSet);
    });
  return visit(op.selectionSet);
}
