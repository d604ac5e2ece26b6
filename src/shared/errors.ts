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
  // A subscription's replay (after:) reached SUBSCRIPTIONS_MAX_REPLAY entries; the client resumes from the last cursor.
  REPLAY_TOO_LONG: "REPLAY_TOO_LONG",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A refusal a service or shared rule throws: a permission it does not grant, an argument it
 * cannot use, a feature this server was not set up for. It is not a GraphQL type: graphql-js
 * copies the `extensions` of whatever a resolver throws onto the error it reports, so the
 * client sees `code` and any detail exactly as if a GraphQLError had been thrown.
 */
export class RequestRefused extends Error {
  readonly extensions: { code: ErrorCode } & Record<string, unknown>;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = "RequestRefused";
    this.extensions = { code, ...extensions };
  }
}

export const forbidden = (message = "This field is for admins only.") => new RequestRefused(ErrorCode.FORBIDDEN, message);

export const badUserInput = (message: string, argument?: string) =>
  new RequestRefused(ErrorCode.BAD_USER_INPUT, message, argument ? { argument } : {});

export const notConfigured = (message: string) => new RequestRefused(ErrorCode.NOT_CONFIGURED, message);

/** Why a mutation could not do what was asked: expected outcomes, returned as data (userErrors), never thrown. */
export enum UserErrorCode {
  INVALID_DOMAIN = "INVALID_DOMAIN",
  PUBLIC_SUFFIX = "PUBLIC_SUFFIX",
  DOMAIN_LIMIT_REACHED = "DOMAIN_LIMIT_REACHED",
  NOT_FOUND = "NOT_FOUND",
  INVALID_NAME = "INVALID_NAME",
  DOMAIN_NOT_VERIFIED = "DOMAIN_NOT_VERIFIED",
  API_KEY_LIMIT_REACHED = "API_KEY_LIMIT_REACHED",
  INVALID_CSR = "INVALID_CSR",
  INVALID_URL = "INVALID_URL",
  WEBHOOK_LIMIT_REACHED = "WEBHOOK_LIMIT_REACHED",
  CERTIFICATE_LIMIT_REACHED = "CERTIFICATE_LIMIT_REACHED",
  SCOPE_TOO_NARROW = "SCOPE_TOO_NARROW",
}

/** A problem with the input the caller can fix; the GraphQL type UserError (graphql/user-error.ts) shows it. */
export interface UserError {
  field: string[] | null;
  message: string;
  code: UserErrorCode;
}

export function userError(code: UserErrorCode, message: string, field: string[] | null = null): UserError {
  return { code, message, field };
}

export const notFound = (what = "domain", field: string[] = ["input", "id"]): UserError =>
  userError(UserErrorCode.NOT_FOUND, `No such ${what} in your account.`, field);
