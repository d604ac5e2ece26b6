import type { Clock } from "../../shared/clock";
import { expectedTxtValue } from "../records";
import type { DnssecStatus, DomainVerifier, VerificationCheckData, VerificationOutcome, VerificationRequest } from "../types";

/** Decides one lookup's check; `call` counts lookups from 1. It may change the world meanwhile, as DNS lookups take their time. */
export type VerificationScript = (request: VerificationRequest, call: number) => VerificationCheckData | Promise<VerificationCheckData>;

/**
 * The verifier for tests that are not about DNS, unit and integration alike. Each name
 * answers what the test scripted (RECORD_NOT_FOUND by default), or every lookup answers
 * from a script the test passes. DNS behaviour itself is proven against bind9 in test/e2e.
 */
export class ScriptedVerifier implements DomainVerifier {
  private readonly outcomes = new Map<string, VerificationOutcome | "PUBLISHED">();
  /** Tokens "published" per name, for exclusive-ownership cases. */
  private readonly published = new Map<string, string[]>();
  readonly requests: VerificationRequest[] = [];
  /** The DNSSEC status every per-name answer carries. */
  dnssec: DnssecStatus = "UNVALIDATED";
  /** Runs once, in the middle of the next lookup: what another request does while DNS is asked. */
  duringNextLookup: (() => Promise<void>) | null = null;

  constructor(
    private readonly clock: Clock,
    /** When given, answers every lookup in place of the per-name answers. */
    private readonly script?: VerificationScript,
  ) {}

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
    if (during) await during();
    if (this.script) return this.script(request, this.requests.length);
    return this.answerByName(request);
  }

  private answerByName(request: VerificationRequest): VerificationCheckData {
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
      servers: [{ server: "scripted", answer: outcome === "VERIFIED" ? "FOUND" : "NXDOMAIN", values: foundValues, durationMs: 1, dnssec: this.dnssec, extendedErrors: [] }],
      dnssec: this.dnssec,
    };
  }
}
