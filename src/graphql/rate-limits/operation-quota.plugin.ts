import type { ApolloServerPlugin } from "@apollo/server";
import { FragmentDefinitionNode, GraphQLObjectType, Kind, OperationDefinitionNode, SelectionSetNode } from "graphql";
import type { RequestContext } from "../context";
import { rateLimited, serviceUnavailable } from "../errors";
import type { QuotaStore } from "./quota-store";
import { QUOTA_EXTENSION, RateLimitQuota, rateLimitIdentity } from "./rate-limit.middleware";

/**
 * Counts every call of a rate-limited field in an operation (aliases included) against its quota
 * at once, before the operation runs: it runs whole, or is refused whole (RATE_LIMITED) and
 * changes nothing. Counted one field at a time, a refused alias would null a mutation's non-null
 * payload and with it the data of the aliases that did run, hiding changes that were made.
 * Must come after the plugin that refuses anonymous callers.
 */
export function operationQuotaPlugin(store: QuotaStore, covers: Record<RateLimitQuota, string>): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document, schema }) {
          if (!operation || contextValue.principal?.isAdmin) return;
          const root = schema.getRootType(operation.operation);
          if (!root) return;
          const fragments = new Map(
            document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
          );
          const calls = rateLimitedCalls(root, operation, fragments);
          const prepaid = (contextValue.prepaidQuota ??= new Map());
          for (const [quotaName, count] of calls) {
            const identity = { contextIdentity: rateLimitIdentity(contextValue), fieldIdentity: quotaName };
            let fitted: boolean;
            let retryAfterMs = 0;
            try {
              fitted = (await store.recordAll(identity, count)).recorded;
              if (!fitted) retryAfterMs = await store.retryAfterMs(identity);
            } catch (error) {
              contextValue.log.error({ err: error }, "rate-limit store failed");
              throw serviceUnavailable("The rate-limit store cannot be reached right now; try again shortly.");
            }
            if (!fitted) {
              const { max, windowMs } = store.quotaOf(quotaName);
              const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
              const calling = count === 1 ? "" : ` This operation calls them ${count} times, so none of it ran.`;
              throw rateLimited(
                `Rate limit reached: ${covers[quotaName as RateLimitQuota]} may be called ${max} times per ${windowMs / 1000} seconds.${calling} Try again in ${retryAfterSeconds} s.`,
                retryAfterSeconds,
              );
            }
            prepaid.set(quotaName, (prepaid.get(quotaName) ?? 0) + count);
          }
        },
      };
    },
  };
}

/** How often the operation calls each quota's root fields, through fragments too; a skipped field still counts. */
export function rateLimitedCalls(
  root: GraphQLObjectType,
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
): Map<string, number> {
  const calls = new Map<string, number>();
  const fields = root.getFields();
  const visit = (set: SelectionSetNode, onPath: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const quota = fields[selection.name.value]?.extensions?.[QUOTA_EXTENSION];
        if (typeof quota === "string") calls.set(quota, (calls.get(quota) ?? 0) + 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, onPath);
      } else {
        const fragment = fragments.get(selection.name.value);
        // Cycles are refused by validation, which has run by now; the guard keeps a bug from looping.
        if (fragment && !onPath.has(fragment.name.value)) visit(fragment.selectionSet, new Set([...onPath, fragment.name.value]));
      }
    }
  };
  visit(operation.selectionSet, new Set());
  return calls;
}
