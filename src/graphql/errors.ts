import { GraphQLError } from "graphql";

/** Every `extensions.code` a client can receive from a thrown error. Expected outcomes are data (userErrors), not these. */
export const ErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  RATE_LIMITED: "RATE_LIMITED",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

function apiError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  const status = HTTP_STATUS[code];
  return new GraphQLError(message, {
    extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) },
  });
}

export const unauthenticated = (message = "Sign in: send Authorization: Bearer <token> with a valid, unexpired token.") =>
  apiError(ErrorCode.UNAUTHENTICATED, message);

export const forbidden = (message = "This field is for admins only.") => apiError(ErrorCode.FORBIDDEN, message);

export const badUserInput = (message: string, argument?: string) =>
  apiError(ErrorCode.BAD_USER_INPUT, message, argument ? { argument } : {});

export const rateLimited = (message: string, retryAfterSeconds: number) =>
  apiError(ErrorCode.RATE_LIMITED, message, { retryAfterSeconds });

export const serviceUnavailable = () =>
  apiError(ErrorCode.SERVICE_UNAVAILABLE, "The database cannot be reached right now; try again shortly.");

export const internalError = (requestId?: string) =>
  apiError(
    ErrorCode.INTERNAL_SERVER_ERROR,
    requestId
      ? `Something went wrong on our side; quote request id ${requestId} when reporting it.`
      : "Something went wrong on our side.",
  );
