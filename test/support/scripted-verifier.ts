import type { DomainVerifier, VerificationCheckData, VerificationOutcome, VerificationRequest } from "../../src/verification/types";
import { expectedTxtValue } from "../../src/verification/records";
import type { Clock } from "../../src/shared/clock";

/**
 * An in-process verifier for lifecycle tests that are not about DNS: each name answers
 * what the test scripted (RECORD_NOT_FOUND by default). DNS behaviour itself is proven
 * against bind9 in test/e2e.
 */
export class ScriptedVerifier implements DomainVerifier {
  private readonly outcomes = new Map<string, VerificationOutcome | "PUBLISHED">();
  /** Tokens "published" per name, for exclusive-ownership cases. */
  private readonly published = new Map<string, string[]>();
  readonly requests: VerificationRequest[] = [];
  /** Runs once, in the middle of the next lookup: what another request does while DNS is asked. */
  duringNextLookup: (() => Promise<void>) | null = null;

  constructor(private readonly clock: Clock) {}

  answer(name: string, outcome: VerificationOutcome): void {
    this.outcomes.set(name, outcome);
  }

  /** The name's record host serves these tokens' TXT records, and nothing else. */
  publish(name: string, tokens: string[]): void {
    this.outcomes.set(name, "PUBLISHED");
    this.published.set(name, tokens);
  }

  async verify(request: VerificationRequest): Promise<VerificationCheckData> {
    this.requests.push(request);
    const during = this.duringNextLookup;
    this.duringNextLookup = null;
    await during?.();
    let outcome = this.outcomes.get(request.name) ?? "RECORD_NOT_FOUND";
    let foundValues: string[] = [];
    if (outcome === "PUBLISHED") {
      foundValues = (this.published.get(request.name) ?? []).map(expectedTxtValue);
      outcome = foundValues.includes(expectedTxtValue(request.token)) ? "VERIFIED" : foundValues.length ? "VALUE_MISMATCH" : "RECORD_NOT_FOUND";
    }
    return {
      outcome,
      method: outcome === "VERIFIED" ? "TXT" : null,
      checkedAt: this.clock.now(),
      message: `scripted ${outcome}`,
      foundValues,
      hints: [],
      servers: [{ server: "scripted", answer: outcome === "VERIFIED" ? "FOUND" : "NXDOMAIN", values: foundValues, durationMs: 1 }],
    };
  }
}
