import { randomBytes } from "node:crypto";

/** 256 bits from the CSPRNG, as 64 lower-case hex characters. */
export function generateToken(): string {
  return randomBytes(32).toString("hex");
}
