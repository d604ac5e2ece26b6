import type { Config } from "./types";

/** Start-up goes on, but an operator should hear about these. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.trustProxy === true || typeof config.trustProxy === "number") {
    warnings.push(
      `TRUST_PROXY=${config.trustProxy} believes X-Forwarded-For from whoever connects: a client that reaches this server directly chooses its own address for rate limits; list the proxy's addresses or subnets instead.`,
    );
  }
  if (config.auth.jwtSecret && config.auth.jwtSecret.length < 32) {
    warnings.push(`JWT_SECRET has ${config.auth.jwtSecret.length} characters: anyone who guesses it can sign tokens for any account; use at least 32 (production refuses fewer).`);
  }
  return warnings;
}
