import pino, { DestinationStream, Logger } from "pino";

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "dnsproof" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ["req.headers.authorization", "*.authorization", "*.token", "*.secret"], censor: "[redacted]" },
      serializers: { err: withoutBoundValues },
    },
    destination,
  );
}

/**
 * Errors as pino logs them, minus the values bound into SQL: TypeORM's QueryFailedError carries
 * `parameters` (an API key's hash, e-mail addresses, tokens) and mysql2's error the statement
 * with those values spliced in (`sql`). The statement with its placeholders (`query`) stays.
 * MySQL also quotes values in its messages ("Duplicate entry 'a@example.com' for key ..."):
 * a database error's `message` and `sqlMessage` keep the names it quotes, not the values.
 */
export function withoutBoundValues(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  const scrub = (value: unknown, depth: number, fromDatabase: boolean): unknown => {
    if (typeof value !== "object" || value === null || depth > 3) return value;
    if (value instanceof Error) value = pino.stdSerializers.err(value);
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, fromDatabase));
    const record = value as Record<string, unknown>;
    const database = fromDatabase || isDatabaseError(record);
    return Object.fromEntries(
      Object.entries(record)
        .filter(([key]) => key !== "parameters" && key !== "sql")
        .map(([key, inner]) => [
          key,
          database && (key === "message" || key === "sqlMessage" || key === "stack") && typeof inner === "string" ? withoutQuotedValues(inner) : scrub(inner, depth + 1, database),
        ]),
    );
  };
  return scrub(serialized, 0, false);
}

/** mysql2's and better-sqlite3's errors, and TypeORM's QueryFailedError around them. */
function isDatabaseError(error: Record<string, unknown>): boolean {
  if (error.type === "QueryFailedError" || error.name === "QueryFailedError") return true;
  if (typeof error.sqlState === "string" || (typeof error.code === "string" && /^(ER_|SQLITE_)/.test(error.code))) return true;
  const driverError = error.driverError;
  return typeof driverError === "object" && driverError !== null && isDatabaseError(driverError as Record<string, unknown>);
}

/** What MySQL quotes after these words is a name (of a key, a column, ...); anything else it quotes may be a value. */
const QUOTES_A_NAME = /\b(?:key|column|table|database|index|constraint|schema|function|procedure|in)\s+$/i;

/** A database message with every quoted value replaced by '…', the quoted names kept. */
export function withoutQuotedValues(text: string): string {
  return text.replace(/'(?:[^'\\]|\\.|'')*'/g, (quoted, offset: number) => (QUOTES_A_NAME.test(text.slice(Math.max(0, offset - 16), offset)) ? quoted : "'…'"));
}
