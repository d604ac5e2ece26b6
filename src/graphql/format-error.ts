import type { GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import type { Logger } from "pino";
import { ErrorCode, INTROSPECTION_DISABLED_MESSAGE, serviceUnavailable } from "./errors";
import { causesOf, isUnavailable } from "../db/database";
import { ConflictPersisted } from "../db/retry-policy";
import { DependencyTimeout } from "../shared/deadline";

/** Codes whose messages are written for clients (ours, Apollo's request errors, graphql-js validation). */
const CLIENT_SAFE_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

/**
 * Validation rules cannot choose their code (Apollo files them all as GRAPHQL_VALIDATION_FAILED);
 * these refusals name theirs in `validationErrorCode`, and it becomes the code clients see.
 */
const PROMOTED_VALIDATION_CODES = new Set<string>([ErrorCode.QUERY_TOO_DEEP, ErrorCode.INTROSPECTION_DISABLED]);

const RENAMED: Record<string, ErrorCode> = {
  // TypeGraphQL's @Authorized refusal; the contract calls it FORBIDDEN.
  UNAUTHORIZED: ErrorCode.FORBIDDEN,
};

/**
 * The last gate before an error reaches a client: known codes pass with their message,
 * a lost database or a write conflict no retry settled becomes SERVICE_UNAVAILABLE, and everything else becomes an
 * INTERNAL_SERVER_ERROR that carries no SQL, stack or path (those go to the log).
 */
/** Longest quoted value a message echoes back; graphql-js quotes a bad variable whole, twice. */
const MAX_ECHOED_VALUE = 100;
const MAX_MESSAGE_LENGTH = 2000;

/** Cuts long quoted values (and, as a backstop, the whole message) so an error is never bigger than what provoked it. */
export function truncateEchoes(message: string): string {
  const cut = message.replace(/"((?:[^"\\]|\\.)*)"/g, (quoted, inner: string) =>
    inner.length > MAX_ECHOED_VALUE ? `"${inner.slice(0, MAX_ECHOED_VALUE)}…" (${inner.length} characters)` : quoted,
  );
  return cut.length > MAX_MESSAGE_LENGTH ? `${cut.slice(0, MAX_MESSAGE_LENGTH)}…` : cut;
}

/** graphql-js suggests names from the schema ("Did you mean …?") in messages Apollo's own hiding does not reach. */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, "");
}

export function createFormatError(log: Logger, options: { hideSuggestions?: boolean } = {}) {
  const clientMessage = (message: string) => truncateEchoes(options.hideSuggestions ? withoutSuggestions(message) : message);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const validationCode = String(formatted.extensions?.validationErrorCode ?? "");
    const code = PROMOTED_VALIDATION_CODES.has(validationCode)
      ? validationCode
      : String(formatted.extensions?.code ?? "INTERNAL_SERVER_ERROR");
    const base = { locations: formatted.locations, path: formatted.path };

    if (code in RENAMED) {
      const renamed = RENAMED[code];
      const message = renamed === ErrorCode.FORBIDDEN ? "This field is for admins only." : clientMessage(formatted.message);
      return { ...base, message, extensions: { code: renamed } };
    }
    if (CLIENT_SAFE_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _stack, http: _http, exception: _exception, validationErrorCode: _v, ...extensions } = formatted.extensions ?? {};
      const message = code === ErrorCode.INTROSPECTION_DISABLED ? INTROSPECTION_DISABLED_MESSAGE : clientMessage(formatted.message);
      return { ...base, message, extensions: { ...extensions, code } };
    }
    if (isUnavailable(original)) {
      if (original instanceof ConflictPersisted) {
        log.warn({ err: original }, "write conflict outlasted every retry");
        const { retryAfterSeconds } = original;
        const message = `Other changes to the same rows kept winning; try again in ${retryAfterSeconds} s.`;
        return { ...base, message, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds } };
      }
      const timeout = causesOf(original).find((e): e is DependencyTimeout => e instanceof DependencyTimeout);
      if (timeout) {
        log.warn({ err: original }, "dependency timed out");
        const message = "The service could not answer within its deadline (a dependency is slow); try again shortly.";
        return { ...base, message, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: timeout.retryAfterSeconds } };
      }
      log.error({ err: original }, "database unreachable");
      return { ...base, message: serviceUnavailable().message, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: 1 } };
    }
    log.error({ err: original, path: formatted.path }, "unexpected error");
    return { ...base, message: "Something went wrong on our side.", extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}
