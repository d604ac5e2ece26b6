import { AttemptDecision, AttemptFacts, DeliveryPolicySettings, decideAttempt } from "./delivery-policy";
import { MAX_ATTEMPT_LOG, WebhookAttempt, WebhookDeliveryStatus } from "./webhook-delivery.entity";
import type { PostOutcome } from "./http-client";
import { AuditAction } from "../audit/audit.types";

const SECOND = 1000;
const HOUR = 3_600_000;
const URL = "https://hooks.example.com/in";
const NOW = new Date("2026-11-22T10:00:00.000Z");
/** The POST went out a second before its outcome is recorded. */
const SENT = new Date(NOW.getTime() - SECOND);
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const later = (ms: number) => new Date(NOW.getTime() + ms);

/** Three retries, 5 s, 5 min and 30 min after the first, second and third failures; disabled after 120 h of failures. */
const SETTINGS: DeliveryPolicySettings = { retryDelaysMs: [5 * SECOND, 300 * SECOND, 1800 * SECOND], disableAfterMs: 120 * HOUR };

const ok = (status = 200): PostOutcome => ({ status, error: null, durationMs: 12 });
const answered = (status: number): PostOutcome => ({ status, error: `The endpoint answered ${status}.`, durationMs: 12 });
const timedOut: PostOutcome = { status: null, error: "No answer within 10000 ms.", durationMs: 10_000 };
const refused: PostOutcome = { status: null, error: "The connection was refused.", durationMs: 3 };
const redirected: PostOutcome = { status: 302, error: "The endpoint answered 302 (a redirect); redirects are not followed.", durationMs: 5 };

const healthy = { url: URL, enabled: true, failingSince: null };
const failingFor = (ms: number) => ({ url: URL, enabled: true, failingSince: ago(ms) });
const disabledFailingFor = (ms: number | null) => ({ url: URL, enabled: false, failingSince: ms === null ? null : ago(ms) });

const disabledEntry = (reason: string) => [
  { action: AuditAction.WEBHOOK_ENDPOINT_DISABLED, message: `Disabled the webhook endpoint ${URL}: ${reason} Re-enable it with updateWebhookEndpoint once it answers again.` },
];
const GONE = "The endpoint answered 410 Gone.";
const allFailedSince = (since: Date) => `Every attempt has failed since ${since.toISOString()} (WEBHOOK_DISABLE_AFTER_HOURS).`;

interface Row {
  name: string;
  /** Attempts made before this one. */
  before: number;
  endpoint: AttemptFacts["endpoint"];
  outcome: PostOutcome;
  settings?: DeliveryPolicySettings;
  status: WebhookDeliveryStatus;
  nextAttemptAt: Date | null;
  change: AttemptDecision["endpoint"];
  audit?: AttemptDecision["audit"];
}

const ROWS: Row[] = [
  { name: "a 200 on the first attempt delivers", before: 0, endpoint: null, outcome: ok(), status: WebhookDeliveryStatus.DELIVERED, nextAttemptAt: null, change: { kind: "answering" } },
  { name: "a 204 after three failures delivers and the endpoint answers again", before: 3, endpoint: null, outcome: ok(204), status: WebhookDeliveryStatus.DELIVERED, nextAttemptAt: null, change: { kind: "answering" } },
  { name: "a 500 on the first attempt retries after the first wait; a healthy endpoint starts failing", before: 0, endpoint: healthy, outcome: answered(500), status: WebhookDeliveryStatus.PENDING, nextAttemptAt: later(5 * SECOND), change: { kind: "failing", failingSince: SENT } },
  { name: "a 503 on the second attempt waits the second delay; a failing endpoint keeps its start", before: 1, endpoint: failingFor(HOUR), outcome: answered(503), status: WebhookDeliveryStatus.PENDING, nextAttemptAt: later(300 * SECOND), change: { kind: "unchanged" } },
  { name: "a timeout on the third attempt waits the third delay", before: 2, endpoint: failingFor(HOUR), outcome: timedOut, status: WebhookDeliveryStatus.PENDING, nextAttemptAt: later(1800 * SECOND), change: { kind: "unchanged" } },
  { name: "a refused connection on the last attempt gives up: FAILED", before: 3, endpoint: failingFor(HOUR), outcome: refused, status: WebhookDeliveryStatus.FAILED, nextAttemptAt: null, change: { kind: "unchanged" } },
  { name: "a 404 past the last wait (a redelivered delivery) fails again at once", before: 7, endpoint: healthy, outcome: answered(404), status: WebhookDeliveryStatus.FAILED, nextAttemptAt: null, change: { kind: "failing", failingSince: SENT } },
  { name: "a 4xx other than 410 is retried like a 5xx", before: 0, endpoint: healthy, outcome: answered(400), status: WebhookDeliveryStatus.PENDING, nextAttemptAt: later(5 * SECOND), change: { kind: "failing", failingSince: SENT } },
  { name: "a redirect is a failure, retried", before: 0, endpoint: failingFor(HOUR), outcome: redirected, status: WebhookDeliveryStatus.PENDING, nextAttemptAt: later(5 * SECOND), change: { kind: "unchanged" } },
  {
    name: "a 410 on the first attempt gives up and disables a healthy endpoint, audited",
    before: 0,
    endpoint: healthy,
    outcome: answered(410),
    status: WebhookDeliveryStatus.FAILED,
    nextAttemptAt: null,
    change: { kind: "disabled", failingSince: SENT, reason: GONE },
    audit: disabledEntry(GONE),
  },
  { name: "a 410 from an endpoint already disabled only fails the delivery", before: 0, endpoint: disabledFailingFor(HOUR), outcome: answered(410), status: WebhookDeliveryStatus.FAILED, nextAttemptAt: null, change: { kind: "unchanged" } },
  { name: "a failure of a disabled endpoint that was not failing marks when it started", before: 0, endpoint: disabledFailingFor(null), outcome: answered(500), status: WebhookDeliveryStatus.PENDING, nextAttemptAt: later(5 * SECOND), change: { kind: "failing", failingSince: SENT } },
  {
    name: "an endpoint failing for exactly WEBHOOK_DISABLE_AFTER_HOURS is disabled, the delivery still retried",
    before: 1,
    endpoint: failingFor(120 * HOUR),
    outcome: answered(500),
    status: WebhookDeliveryStatus.PENDING,
    nextAttemptAt: later(300 * SECOND),
    change: { kind: "disabled", failingSince: ago(120 * HOUR), reason: allFailedSince(ago(120 * HOUR)) },
    audit: disabledEntry(allFailedSince(ago(120 * HOUR))),
  },
  { name: "an endpoint failing a millisecond short of it stays enabled", before: 1, endpoint: failingFor(120 * HOUR - 1), outcome: timedOut, status: WebhookDeliveryStatus.PENDING, nextAttemptAt: later(300 * SECOND), change: { kind: "unchanged" } },
  { name: "a disabled endpoint failing for longer is not disabled again", before: 1, endpoint: disabledFailingFor(200 * HOUR), outcome: answered(500), status: WebhookDeliveryStatus.PENDING, nextAttemptAt: later(300 * SECOND), change: { kind: "unchanged" } },
  { name: "an endpoint that is gone changes nothing but the delivery", before: 0, endpoint: null, outcome: answered(500), status: WebhookDeliveryStatus.PENDING, nextAttemptAt: later(5 * SECOND), change: { kind: "unchanged" } },
  {
    name: "with WEBHOOK_DISABLE_AFTER_HOURS at zero the first failure disables",
    before: 0,
    endpoint: healthy,
    outcome: refused,
    settings: { ...SETTINGS, disableAfterMs: 0 },
    status: WebhookDeliveryStatus.PENDING,
    nextAttemptAt: later(5 * SECOND),
    change: { kind: "disabled", failingSince: SENT, reason: allFailedSince(SENT) },
    audit: disabledEntry(allFailedSince(SENT)),
  },
  { name: "with no retries configured the first failure is the last", before: 0, endpoint: failingFor(HOUR), outcome: answered(502), settings: { ...SETTINGS, retryDelaysMs: [] }, status: WebhookDeliveryStatus.FAILED, nextAttemptAt: null, change: { kind: "unchanged" } },
];

describe("decideAttempt", () => {
  it.each(ROWS)("$name", (row) => {
    const decision = decideAttempt(
      { delivery: { attempts: row.before, attemptLog: [] }, endpoint: row.endpoint, outcome: row.outcome, attemptedAt: SENT, now: NOW },
      row.settings ?? SETTINGS,
    );
    expect(decision.delivery).toMatchObject({
      status: row.status,
      nextAttemptAt: row.nextAttemptAt,
      attempts: row.before + 1,
      lastAttemptAt: SENT,
      lastResponseStatus: row.outcome.status,
      lastError: row.outcome.error,
    });
    expect(decision.delivery.deliveredAt).toEqual(row.status === WebhookDeliveryStatus.DELIVERED ? NOW : undefined);
    expect(decision.endpoint).toEqual(row.change);
    expect(decision.audit).toEqual(row.audit ?? []);
  });

  it("logs the attempt, keeping the last MAX_ATTEMPT_LOG, and keeps 500 characters of the error", () => {
    const old: WebhookAttempt[] = Array.from({ length: MAX_ATTEMPT_LOG }, (_, i) => ({ at: ago((i + 1) * HOUR), responseStatus: 500, error: "x", durationMs: i }));
    const outcome: PostOutcome = { status: 500, error: "e".repeat(600), durationMs: 7 };
    const { delivery } = decideAttempt({ delivery: { attempts: 40, attemptLog: old }, endpoint: failingFor(HOUR), outcome, attemptedAt: SENT, now: NOW }, SETTINGS);
    expect(delivery.attemptLog).toHaveLength(MAX_ATTEMPT_LOG);
    expect(delivery.attemptLog[0]).toEqual(old[1]);
    expect(delivery.attemptLog[MAX_ATTEMPT_LOG - 1]).toEqual({ at: SENT, responseStatus: 500, error: outcome.error, durationMs: 7 });
    expect(delivery.lastError).toBe("e".repeat(500));
  });
});
