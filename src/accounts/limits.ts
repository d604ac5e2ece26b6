import { UserError, UserErrorCode, userError } from "../shared/errors";

/**
 * How one limit is told to the caller. Every refusal reads
 * "<holder> <held> of <max> <counted>; <remedy>." so people learn one shape.
 */
export interface LimitWording {
  code: UserErrorCode;
  /** Whose count it is, with its verb, as the message opens: "Your account has". */
  holder: string;
  /** What is counted, in the plural: "active API keys". */
  counted: string;
  /** How to make room, and for what: "revoke one before creating another". */
  remedy: string;
  /** The input the refusal points at. */
  field: string[] | null;
}

/** The refusal once `held` has reached `max`. */
export function limitReached(limit: LimitWording, held: number, max: number): UserError {
  return userError(limit.code, `${limit.holder} ${held} of ${max} ${limit.counted}; ${limit.remedy}.`, limit.field);
}

/**
 * Room for one more while `held` is below `max`, the limit's refusal otherwise. `held` must
 * be counted under the lock that serializes additions (Accounts.locked, or the row the count
 * belongs to), or concurrent additions pass the limit together.
 */
export function withinLimit(limit: LimitWording, held: number, max: number): { ok: true } | { ok: false; error: UserError } {
  return held < max ? { ok: true } : { ok: false, error: limitReached(limit, held, max) };
}
