import { GraphQLError } from "graphql";
import { HeaderMap } from "@apollo/server";

/** Every `extensions.code` a client can receive from a thrown error. Expected outcomes are data (userErrors), not these. */
export const ErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  RATE_LIMITED: "RATE_LIMITED",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  /** A feature this server was not set up for (no CA, no attestation key in production). */
  NOT_CONFIGURED: "NOT_CONFIGURED",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
  // Refusals of hostile requests, each decided before anything executes. Validation (depth,
  // introspection) and the body parser (413) set their own HTTP status.
  QUERY_TOO_DEEP: "QUERY_TOO_DEEP",
  QUERY_TOO_COMPLEX: "QUERY_TOO_COMPLEX",
  TOO_MANY_ALIASES: "TOO_MANY_ALIASES",
  TOO_MANY_OPERATIONS: "TOO_MANY_OPERATIONS",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  INTROSPECTION_DISABLED: "INTROSPECTION_DISABLED",
  // WebSocket connections: SUBSCRIPTIONS_PER_CONNECTION or SUBSCRIPTIONS_PER_ACCOUNT reached.
  TOO_MANY_SUBSCRIPTIONS: "TOO_MANY_SUBSCRIPTIONS",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  QUERY_TOO_COMPLEX: 400,
  TOO_MANY_ALIASES: 400,
  TOO_MANY_OPERATIONS: 400,
};

function apiError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, headers?: HeaderMap): GraphQLError {
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

export const forbidden = (message = "This field is for admins only.") => apiError(ErrorCode.FORBIDDEN, message);

export const badUserInput = (message: string, argument?: string) =>
  apiError(ErrorCode.BAD_USER_INPUT, message, argument ? { argument } : {});

export const rateLimited = (message: string, retryAfterSeconds: number) =>
  apiError(ErrorCode.RATE_LIMITED, message, { retryAfterSeconds }, new HeaderMap([["retry-after", String(retryAfterSeconds)]]));

export const serviceUnavailable = (message = "The database cannot be reached right now; try again shortly.") =>
  apiError(ErrorCode.SERVICE_UNAVAILABLE, message);

export const tooManyAliases = (aliases: number, max: number) =>
  apiError(ErrorCode.TOO_MANY_ALIASES, `This operation uses ${aliases} aliases; at most ${max} are served. Split it into smaller requests.`, {
    aliases,
    maxAliases: max,
  });
export const notConfigured = (message: string) => apiError(ErrorCode.NOT_CONFIGURED, message);
export const tooManySubscriptions = (message: string) => apiError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, message);

/** `complexity` null: too many fields to estimate at all. */
export const queryTooComplex = (complexity: number | null, max: number) =>
  apiError(
    ErrorCode.QUERY_TOO_COMPLEX,
    complexity === null
      ? "This query selects too many fields; split it into smaller queries."
      : `This request could cause too much work: its cost is ${complexity}, at most ${max} is served (every operation of a batch together). Ask for smaller pages (first), fewer nested lists or fewer operations.`,
    { complexity, maxComplexity: max },
  );
