import type { UserError } from "../shared/errors";

/** An expected failure, as every service answers it: the one user error a payload carries. */
export interface Refused {
  ok: false;
  error: UserError;
}

/**
 * A mutation's payload from a service's result: on success the fields `fromSuccess` picks and
 * no user errors, on failure the `failed` fields (null, or false) beside the result's user error.
 */
export function toPayload<S extends { ok: true }, Fields extends object, Failed extends object>(
  result: S | Refused,
  fromSuccess: (success: S) => Fields,
  failed: Failed,
): (Fields | Failed) & { userErrors: UserError[] } {
  return result.ok ? { ...fromSuccess(result), userErrors: [] } : { ...failed, userErrors: [result.error] };
}
