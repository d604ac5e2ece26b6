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
 */
export function withoutBoundValues(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value !== "object" || value === null || depth > 3) return value;
    if (value instanceof Error) value = pino.stdSerializers.err(value);
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key]) => key !== "parameters" && key !== "sql")
        .map(([key, inner]) => [key, scrub(inner, depth + 1)]),
    );
  };
  return scrub(serialized, 0);
}
