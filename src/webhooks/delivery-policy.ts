import { MAX_ATTEMPT_LOG, WebhookDelivery, WebhookDeliveryStatus } from "./webhook-delivery.entity";
import type { WebhookEndpoint } from "./webhook-endpoint.entity";
import type { PostOutcome } from "./http-client";
import type { AttemptColumns } from "./delivery.store";
import { AuditAction } from "../audit/audit.types";

/** The settings the policy reads (WEBHOOK_RETRY_SECONDS, WEBHOOK_DISABLE_AFTER_HOURS). */
export interface DeliveryPolicySettings {
  /** The wait before each retry: after the first failed attempt the first, and so on; FAILED after the last. */
  retryDelaysMs: readonly number[];
  /** An endpoint whose attempts have all failed for this long is disabled. */
  disableAfterMs: number;
}

export interface AttemptFacts {
  /** The delivery as leased: nobody else records attempts while the lease is held. */
  delivery: Pick<WebhookDelivery, "attempts" | "attemptLog">;
  /** The endpoint as locked now; null when it is gone, or not read because the attempt succeeded (a 2xx never needs it). */
  endpoint: Pick<WebhookEndpoint, "url" | "enabled" | "failingSince"> | null;
  outcome: PostOutcome;
  /** When the POST was sent. */
  attemptedAt: Date;
  /** When the outcome is recorded. */
  now: Date;
}

/** What becomes of the endpoint. */
export type EndpointChange =
  | { kind: "unchanged" }
  /** It answered with a 2xx: no longer failing, whatever it was. */
  | { kind: "answering" }
  /** Its first failure since it last answered: failing from `failingSince`. */
  | { kind: "failing"; failingSince: Date }
  /** Disabled for `reason`, its pending deliveries parked until it is enabled again. */
  | { kind: "disabled"; failingSince: Date; reason: string };

/** An audit entry the system writes about the endpoint, with the change. */
export interface PlannedEntry {
  action: AuditAction;
  message: string;
}

export interface AttemptDecision {
  /** What the delivery becomes (its lease is given up with it). */
  delivery: AttemptColumns;
  endpoint: EndpointChange;
  /** In the order they are written. */
  audit: PlannedEntry[];
}

/** At most this much of an attempt's error is kept on the delivery. */
const MAX_ERROR_LENGTH = 500;

/**
 * What one attempt of a delivery means. A 2xx delivers it; otherwise the next wait of
 * WEBHOOK_RETRY_SECONDS applies, FAILED after the last. A 410 Gone gives up at once and
 * disables the endpoint, as does an endpoint whose attempts have all failed for
 * WEBHOOK_DISABLE_AFTER_HOURS. Pure: the service writes the decision in one transaction.
 */
export function decideAttempt(facts: AttemptFacts, settings: DeliveryPolicySettings): AttemptDecision {
  const { delivery, outcome, attemptedAt, now } = facts;
  const attempts = delivery.attempts + 1;
  const attempt = { at: attemptedAt, responseStatus: outcome.status, error: outcome.error, durationMs: outcome.durationMs };
  const recorded = {
    attempts,
    attemptLog: [...delivery.attemptLog, attempt].slice(-MAX_ATTEMPT_LOG),
    lastAttemptAt: attemptedAt,
    lastResponseStatus: outcome.status,
    lastError: outcome.error?.slice(0, MAX_ERROR_LENGTH) ?? null,
  };
  if (outcome.error === null) {
    return {
      delivery: { ...recorded, status: WebhookDeliveryStatus.DELIVERED, deliveredAt: now, nextAttemptAt: null },
      endpoint: { kind: "answering" },
      audit: [],
    };
  }
  const wait = settings.retryDelaysMs[attempts - 1];
  const gaveUp = wait === undefined || outcome.status === 410;
  return {
    delivery: {
      ...recorded,
      status: gaveUp ? WebhookDeliveryStatus.FAILED : WebhookDeliveryStatus.PENDING,
      nextAttemptAt: gaveUp ? null : new Date(now.getTime() + wait),
    },
    ...afterFailure(facts, settings),
  };
}

/** What a failed attempt does to its endpoint: failing from now, disabled, or nothing new. */
function afterFailure({ endpoint, outcome, attemptedAt, now }: AttemptFacts, settings: DeliveryPolicySettings): Omit<AttemptDecision, "delivery"> {
  if (!endpoint) return { endpoint: { kind: "unchanged" }, audit: [] };
  const failingSince = endpoint.failingSince ?? attemptedAt;
  const gone = outcome.status === 410;
  if (endpoint.enabled && (gone || now.getTime() - failingSince.getTime() >= settings.disableAfterMs)) {
    const reason = gone ? "The endpoint answered 410 Gone." : `Every attempt has failed since ${failingSince.toISOString()} (WEBHOOK_DISABLE_AFTER_HOURS).`;
    return {
      endpoint: { kind: "disabled", failingSince, reason },
      audit: [
        {
          action: AuditAction.WEBHOOK_ENDPOINT_DISABLED,
          message: `Disabled the webhook endpoint ${endpoint.url}: ${reason} Re-enable it with updateWebhookEndpoint once it answers again.`,
        },
      ],
    };
  }
  return { endpoint: endpoint.failingSince ? { kind: "unchanged" } : { kind: "failing", failingSince }, audit: [] };
}
