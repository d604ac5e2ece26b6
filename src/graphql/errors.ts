import { GraphQLError } from "graphql";

import { ErrorCode, RequestRefused, badUserInput } from "../shared/errors";

export { ErrorCode };

export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  QUERY_TOO_COMPLEX: 400,
  TOO_MANY_ALIASES: 400,
  TOO_MANY_OPERATIONS: 400,
};

/** Apollo takes any Map of lower-case names as `http.headers`: the services raise these errors, and the CLI runs them without loading Apollo. */
function apiError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, headers?: Map<string, string>): GraphQLError {
  const status = HTTP_STATUS[code];
  return new GraphQLError(message, {
    extensions: { code, ...extensions, ...(status ? { http: { status, ...(headers ? { headers } : {}) } } : {}) },
  });
}

/** For refusals made outside GraphQL execution (Express middlewares): the same shape a GraphQL error has. */
export function httpErrorBody(code: ErrorCode | "BAD_REQUEST", message: string, extensions: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extensions } }] };
}

export const unauthenticated = (message = "Sign in: send Authorization: Bearer <token> with a valid, unexpired token.") =>
  apiError(ErrorCode.UNAUTHENTICATED, message);

/** Appended to UNAUTHENTICATED outside production when this server signs tokens itself: how a newcomer gets one. */
export const SIGN_IN_HINT = "To get a token for this server, run `npx dnsproof token --sub you` (it signs with the same JWT_SECRET).";

/** Replaces Apollo's message, which speaks of its own constructor option rather than of this server's setting. */
export const INTROSPECTION_DISABLED_MESSAGE =
  "Introspection (__schema, __type) is turned off on this server; an operator can turn it on with GRAPHQL_INTROSPECTION=true.";

export const rateLimited = (message: string, retryAfterSeconds: number) =>
  apiError(ErrorCode.RATE_LIMITED, message, { retryAfterSeconds }, new Map([["retry-after", String(retryAfterSeconds)]]));

export const serviceUnavailable = (message = "The database cannot be reached right now; try again shortly.", retryAfterSeconds = 1) =>
  apiError(ErrorCode.SERVICE_UNAVAILABLE, message, { retryAfterSeconds }, new Map([["retry-after", String(retryAfterSeconds)]]));

export const tooManyAliases = (aliases: number, max: number) =>
  apiError(ErrorCode.TOO_MANY_ALIASES, `This operation uses ${aliases} aliases; at most ${max} are served. Split it into smaller requests.`, {
    aliases,
    maxAliases: max,
  });
export const tooManySubscriptions = (message: string) => apiError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, message);

/** Ends a subscription whose replay sent `sent` entries and had more: the client subscribes again after the last one. */
export const replayTooLong = (sent: number) =>
  apiError(
    ErrorCode.REPLAY_TOO_LONG,
    `The replay stopped after ${sent} entries, the most one subscription replays. Subscribe again with after: the cursor of the last entry received, or read the rest with events(after:).`,
    { sent },
  );

/** `complexity` null: too many fields to estimate at all. */
export const queryTooComplex = (complexity: number | null, max: number) =>
  apiError(
    ErrorCode.QUERY_TOO_COMPLEX,
    complexity === null
      ? "This query selects too many fields; split it into smaller queries."
      : `This request could cause too much work: its cost is ${complexity}, at most ${max} is served (every operation of a batch together). Ask for smaller pages (first), fewer nested lists or fewer operations.`,
    { complexity, maxComplexity: max },
  );

/** A document past GRAPHQL_MAX_TOKENS or GRAPHQL_MAX_SELECTIONS: the cost's code, since it is the same advice. */
export const queryTooLarge = (message: string, extensions: Record<string, unknown>) =>
  apiError(ErrorCode.QUERY_TOO_COMPLEX, message, { complexity: null, ...extensions });

/** For refusals sent outside execution (graphql-ws wants GraphQLError instances): the same code and message. */
export function asGraphQLError(refusal: RequestRefused): GraphQLError {
  return new GraphQLError(refusal.message, { extensions: refusal.extensions });
}

/** A malformed argument refused before execution (WebSocket subscribe messages). */
export const badUserInputError = (message: string, argument?: string) => asGraphQLError(badUserInput(message, argument));
