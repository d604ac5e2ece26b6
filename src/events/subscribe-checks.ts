import { DocumentNode, GraphQLError, GraphQLSchema, ValidationRule, getOperationAST, parse, specifiedRules, validate } from "graphql";
import { parseWithinLimits } from "../graphql/document-limits";
import { badUserInputError } from "../graphql/errors";
import { CostedOperation } from "../graphql/query-cost";
import { QueryLimits, operationRefusal } from "../graphql/query-limits";

export interface SubscribeRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** An accepted subscribe: its document, and its cost per event (null where the cost could not be measured). */
export interface CheckedSubscription {
  document: DocumentNode;
  costPerEvent: number | null;
}

/**
 * What a POST of the same operation passes before it runs, for a WebSocket subscribe: parsing
 * within the token and selection limits, validation with the same rules (depth), then the same cost and alias limits with the same
 * codes and messages. Each event of a subscription runs the whole selection again, so a
 * selection a request may not run must not be subscribed to either.
 */
export function checkSubscribe(
  schema: GraphQLSchema,
  request: SubscribeRequest,
  rules: { validationRules: ValidationRule[]; limits: QueryLimits },
): CheckedSubscription | readonly GraphQLError[] {
  const parsed = parseWithinLimits(request.query, rules.limits);
  if (parsed.kind === "refused") return [parsed.error];
  let document: DocumentNode;
  try {
    // A syntax error: parsed again for graphql-js's own message (the limits above already held).
    document = parsed.kind === "parsed" ? parsed.document : parse(request.query, { noLocation: true });
  } catch (error) {
    return [withCode(error as GraphQLError, "GRAPHQL_PARSE_FAILED")];
  }
  const errors = validate(schema, document, [...specifiedRules, ...rules.validationRules]);
  if (errors.length) return errors.map((error) => withCode(error, "GRAPHQL_VALIDATION_FAILED"));
  if (getOperationAST(document, request.operationName)?.operation !== "subscription") {
    return [badUserInputError("Only subscriptions are served over WebSocket; send queries and mutations as POST /graphql.")];
  }
  const costed = CostedOperation.of(schema, document, request.operationName, rules.limits.maxAliases);
  let measured: ReturnType<CostedOperation["measure"]> = { kind: "unmeasured" };
  try {
    if (costed) measured = costed.measure(request.variables);
  } catch {
    // What cannot be measured (variables GraphQL will refuse itself) is left to execution, as on HTTP.
  }
  const refusal = operationRefusal(measured, rules.limits);
  if (refusal) return [refusal];
  return { document, costPerEvent: measured.kind === "measured" ? measured.cost : null };
}

/** graphql-js leaves parse and validation errors without a code; Apollo gives them these on HTTP, and format-error reads them. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/**
 * Entries one subscribe may replay: SUBSCRIPTIONS_MAX_REPLAY, and no more than a query of the
 * same selection could fetch at once (GRAPHQL_MAX_COMPLEXITY over the cost of one entry), so a
 * replay never costs more than the request a client would otherwise send.
 */
export function replayBudget(maxReplay: number, maxComplexity: number, costPerEvent: number | null): number {
  const byCost = costPerEvent && costPerEvent > 0 ? Math.floor(maxComplexity / costPerEvent) : maxReplay;
  return Math.max(1, Math.min(maxReplay, byCost));
}
