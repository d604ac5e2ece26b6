import pino, { Logger } from "pino";

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "dnsproof" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["req.headers.authorization", "*.authorization", "*.token", "*.secret"], censor: "[redacted]" },
  });
}
