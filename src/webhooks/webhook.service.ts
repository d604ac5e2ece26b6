import type { EntityManager } from "typeorm";
import { v7 as uuidv7 } from "uuid";
import { WebhookEndpoint } from "./webhook-endpoint.entity";
import type { WebhookEndpointStore } from "./webhook-endpoint.store";
import { WebhookDelivery, WebhookDeliveryStatus } from "./webhook-delivery.entity";
import { generateWebhookSecret } from "./signature";
import { Resolve, checkWebhookUrl } from "./webhook-url";
import type { PostOutcome } from "./http-client";
import type { DeliveryStore } from "./delivery.store";
import { EndpointChange, decideAttempt } from "./delivery-policy";
import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import type { AuditEntry } from "../audit/audit-entry.entity";
import { Actor, AuditAction, SYSTEM_ACTOR } from "../audit/audit.types";
import type { Domain } from "../domains/domain.entity";
import type { DomainStore } from "../domains/domain.store";
import type { AuditRecorder } from "../domains/verification.service";
import { ActionContext, Principal, canSee, listScope } from "../shared/principal";
import { actorOf } from "../audit/actor";
import { Connection, PageArgs } from "../shared/pagination";
import { UserError, UserErrorCode, notFound, userError } from "../shared/errors";
import type { Accounts } from "../accounts/accounts";
import { LimitWording, withinLimit } from "../accounts/limits";

export interface WebhookSettings {
  maxPerAccount: number;
  retryDelaysMs: number[];
  disableAfterMs: number;
  allowPrivate: boolean;
  /** How host names of new URLs are resolved (tests swap it). */
  resolve?: Resolve;
}

/** MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT, as the caller is told it. */
export const WEBHOOK_ENDPOINT_LIMIT: LimitWording = {
  code: UserErrorCode.WEBHOOK_LIMIT_REACHED,
  holder: "Your account has",
  counted: "webhook endpoints",
  remedy: "delete one before creating another",
  field: ["input", "url"],
};

/** How long a rotated-out secret keeps signing beside the new one. */
export const PREVIOUS_SECRET_MS = 24 * 3_600_000;

export type EndpointResult = { ok: true; endpoint: WebhookEndpoint } | { ok: false; error: UserError };
export type EndpointWithSecret = { ok: true; endpoint: WebhookEndpoint; secret: string } | { ok: false; error: UserError };

export interface CreateEndpointInput {
  url: string;
  actions?: AuditAction[] | null;
  domainId?: string | null;
}

export interface UpdateEndpointInput {
  id: string;
  url?: string | null;
  actions?: AuditAction[] | null;
  enabled?: boolean | null;
}

/**
 * Owns webhook endpoints and their deliveries: who may have which endpoint, which entries
 * each receives, and what every attempt's outcome means (retry, give up, disable). Every
 * change commits with its audit entry; deliveries are created inside the entry's own
 * transaction (the audit listener), so none is lost between a change and its POST.
 */
export class WebhookService {
  private readonly dueListeners: Array<() => void> = [];

  constructor(
    private readonly endpoints: WebhookEndpointStore,
    private readonly deliveryStore: DeliveryStore,
    /** Transactions, and the signal after a commit that made deliveries due. */
    private readonly db: Pick<Database, "transaction" | "afterCommit">,
    private readonly domains: Pick<DomainStore, "findInAccount">,
    private readonly accounts: Accounts,
    private readonly audit: AuditRecorder,
    private readonly clock: Clock,
    private readonly settings: WebhookSettings,
  ) {}

  /**
   * Calls `listener` after every commit that made deliveries due here (created, re-enabled or
   * asked for again): the worker wakes for those, not for every audited change, which would poll after each claim.
   */
  onDeliveriesDue(listener: () => void): void {
    this.dueListeners.push(listener);
  }

  private dueAfterCommit(manager: EntityManager): void {
    this.db.afterCommit(manager, "webhook-deliveries-due", () => this.dueListeners.forEach((listener) => listener()));
  }

  /**
   * The audit listener: for each entry, one PENDING delivery per enabled endpoint of its account
   * that wants it. A batch of entries reads the endpoints of all its accounts in one statement
   * and writes all their deliveries together.
   */
  async createDeliveries(manager: EntityManager, entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const endpoints = await this.endpoints.enabledOfAccounts(manager, [...new Set(entries.map((entry) => entry.accountId))]);
    if (endpoints.length === 0) return;
    const ofAccount = new Map<string, WebhookEndpoint[]>();
    for (const endpoint of endpoints) ofAccount.set(endpoint.accountId, [...(ofAccount.get(endpoint.accountId) ?? []), endpoint]);
    const now = this.clock.now();
    const deliveries = entries.flatMap((entry) =>
      (ofAccount.get(entry.accountId) ?? []).filter((endpoint) => wants(endpoint, entry)).map((endpoint) => newDelivery(endpoint, entry, now)),
    );
    if (deliveries.length === 0) return;
    await this.deliveryStore.insert(manager, deliveries);
    this.dueAfterCommit(manager);
  }

  async create(ctx: ActionContext, input: CreateEndpointInput): Promise<EndpointWithSecret> {
    const { principal } = ctx;
    const urlCheck = await checkWebhookUrl(input.url.trim(), this.settings, this.settings.resolve);
    if (!urlCheck.ok) return { ok: false, error: userError(UserErrorCode.INVALID_URL, urlCheck.message, ["input", "url"]) };
    // A scoped key's endpoints are its domain's: it cannot listen to what it cannot read.
    const domainId = listScope(principal, input.domainId ?? null);
    if (domainId === "none") return { ok: false, error: notFound("domain", ["input", "domainId"]) };
    // Under the account's lock, so concurrent creations are counted one after another.
    return this.accounts.locked(principal.accountId, async (manager): Promise<EndpointWithSecret> => {
      const now = this.clock.now();
      let domain: Domain | null = null;
      if (domainId) {
        domain = await this.domains.findInAccount(principal.accountId, domainId, manager);
        if (!domain) return { ok: false, error: notFound("domain", ["input", "domainId"]) };
      }
      const held = await this.endpoints.countOfAccount(manager, principal.accountId);
      const room = withinLimit(WEBHOOK_ENDPOINT_LIMIT, held, this.settings.maxPerAccount);
      if (!room.ok) return room;
      const secret = generateWebhookSecret();
      const endpoint = await this.endpoints.insert(
        manager,
        Object.assign(new WebhookEndpoint(), {
          id: uuidv7(),
          accountId: principal.accountId,
          url: urlCheck.url.toString(),
          actions: [...new Set(input.actions ?? [])],
          domainId: domain?.id ?? null,
          domainName: domain?.name ?? null,
          secret,
          previousSecret: null,
          previousSecretExpiresAt: null,
          enabled: true,
          disabledReason: null,
          failingSince: null,
          createdAt: now,
          updatedAt: now,
        }),
      );
      await this.record(manager, endpoint, AuditAction.WEBHOOK_ENDPOINT_CREATED, actorOf(principal), ctx.requestId, `Created the webhook endpoint ${endpoint.url}.`);
      return { ok: true, endpoint, secret };
    });
  }

  async update(ctx: ActionContext, input: UpdateEndpointInput): Promise<EndpointResult> {
    let url: string | null = null;
    if (input.url !== undefined && input.url !== null) {
      const urlCheck = await checkWebhookUrl(input.url.trim(), this.settings, this.settings.resolve);
      if (!urlCheck.ok) return { ok: false, error: userError(UserErrorCode.INVALID_URL, urlCheck.message, ["input", "url"]) };
      url = urlCheck.url.toString();
    }
    return this.db.transaction(async (manager) => {
      const endpoint = await this.lockOwned(manager, ctx.principal, input.id);
      if (!endpoint) return { ok: false, error: notFound("webhook endpoint") };
      const now = this.clock.now();
      const changes: string[] = [];
      if (url !== null && url !== endpoint.url) {
        changes.push(`URL ${endpoint.url} → ${url}`);
        endpoint.url = url;
      }
      if (input.actions) {
        endpoint.actions = [...new Set(input.actions)];
        changes.push(`actions ${endpoint.actions.length ? endpoint.actions.join(", ") : "all"}`);
      }
      if (input.enabled === true && !endpoint.enabled) {
        endpoint.enabled = true;
        endpoint.disabledReason = null;
        endpoint.failingSince = null;
        // Deliveries parked while it was disabled go out now.
        await this.deliveryStore.resumeParked(manager, endpoint.id, now);
        this.dueAfterCommit(manager);
        changes.push("re-enabled");
      } else if (input.enabled === false && endpoint.enabled) {
        await this.park(manager, endpoint, "Disabled by the account.");
        changes.push("disabled");
      }
      endpoint.updatedAt = now;
      await this.endpoints.save(manager, endpoint);
      await this.record(
        manager,
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_UPDATED,
        actorOf(ctx.principal),
        ctx.requestId,
        changes.length ? `Updated the webhook endpoint ${endpoint.url}: ${changes.join("; ")}.` : `Updated the webhook endpoint ${endpoint.url}; nothing changed.`,
      );
      return { ok: true, endpoint };
    });
  }

  async delete(ctx: ActionContext, endpointId: string): Promise<{ ok: true; deletedId: string } | { ok: false; error: UserError }> {
    return this.db.transaction(async (manager) => {
      const endpoint = await this.lockOwned(manager, ctx.principal, endpointId);
      if (!endpoint) return { ok: false, error: notFound("webhook endpoint") };
      await this.deliveryStore.deleteOfEndpoint(manager, endpoint.id);
      await this.endpoints.delete(manager, endpoint.id);
      await this.record(manager, endpoint, AuditAction.WEBHOOK_ENDPOINT_DELETED, actorOf(ctx.principal), ctx.requestId, `Deleted the webhook endpoint ${endpoint.url}.`);
      return { ok: true, deletedId: endpoint.id };
    });
  }

  async rotateSecret(ctx: ActionContext, endpointId: string): Promise<EndpointWithSecret> {
    return this.db.transaction(async (manager) => {
      const endpoint = await this.lockOwned(manager, ctx.principal, endpointId);
      if (!endpoint) return { ok: false, error: notFound("webhook endpoint") };
      const now = this.clock.now();
      const secret = generateWebhookSecret();
      endpoint.previousSecret = endpoint.secret;
      endpoint.previousSecretExpiresAt = new Date(now.getTime() + PREVIOUS_SECRET_MS);
      endpoint.secret = secret;
      endpoint.updatedAt = now;
      await this.endpoints.save(manager, endpoint);
      await this.record(
        manager,
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_UPDATED,
        actorOf(ctx.principal),
        ctx.requestId,
        `Rotated the signing secret of ${endpoint.url}; the old one keeps signing beside it until ${endpoint.previousSecretExpiresAt.toISOString()}.`,
      );
      return { ok: true, endpoint, secret };
    });
  }

  /** Queues a delivery again (DELIVERED or FAILED alike): one more attempt, at once unless the endpoint is disabled. */
  async redeliver(ctx: ActionContext, deliveryId: string): Promise<{ ok: true; delivery: WebhookDelivery } | { ok: false; error: UserError }> {
    return this.db.transaction(async (manager) => {
      const delivery = await this.deliveryStore.lockInAccount(manager, ctx.principal.accountId, deliveryId);
      const endpoint = delivery ? await this.lockOwned(manager, ctx.principal, delivery.endpointId) : null;
      if (!delivery || !endpoint) return { ok: false, error: notFound("webhook delivery", ["input", "deliveryId"]) };
      delivery.status = WebhookDeliveryStatus.PENDING;
      delivery.nextAttemptAt = endpoint.enabled ? this.clock.now() : null;
      await this.deliveryStore.save(manager, delivery);
      if (endpoint.enabled) this.dueAfterCommit(manager);
      await this.record(
        manager,
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_UPDATED,
        actorOf(ctx.principal),
        ctx.requestId,
        `Asked for delivery ${delivery.messageId} to ${endpoint.url} to be sent again.`,
      );
      return { ok: true, delivery };
    });
  }

  /**
   * Records one attempt of a leased delivery as the delivery policy decides (retry, give up,
   * disable the endpoint), all in one transaction. False when the lease was lost meanwhile
   * (nothing recorded; whoever holds it now records its own).
   */
  async recordAttempt(leased: WebhookDelivery, lease: string, outcome: PostOutcome, attemptedAt: Date): Promise<boolean> {
    const now = this.clock.now();
    return this.db.transaction(async (manager) => {
      // A 2xx takes no locking read: the lease condition on the delivery is its guard. A failure
      // locks the endpoint before the delivery, in the order disabling it takes them.
      const endpoint = outcome.error === null ? null : await this.endpoints.lockById(manager, leased.endpointId);
      const decision = decideAttempt({ delivery: leased, endpoint, outcome, attemptedAt, now }, this.settings);
      if (!(await this.deliveryStore.recordAttempt(manager, leased.id, lease, decision.delivery))) return false;
      await this.changeEndpoint(manager, leased.endpointId, endpoint, decision.endpoint, now);
      for (const entry of decision.audit) await this.record(manager, endpoint!, entry.action, SYSTEM_ACTOR, null, entry.message);
      return true;
    });
  }

  /** Writes what an attempt did to its endpoint; `endpoint` is the locked row for every change but "answering". */
  private async changeEndpoint(manager: EntityManager, endpointId: string, endpoint: WebhookEndpoint | null, change: EndpointChange, now: Date): Promise<void> {
    if (change.kind === "answering") {
      await this.endpoints.markAnswering(manager, endpointId);
    } else if (change.kind === "failing") {
      await this.endpoints.markFailing(manager, endpointId, change.failingSince);
    } else if (change.kind === "disabled" && endpoint) {
      endpoint.failingSince = change.failingSince;
      await this.park(manager, endpoint, change.reason);
      endpoint.updatedAt = now;
      await this.endpoints.save(manager, endpoint);
    }
  }

  /** Leaves a leased delivery of a disabled or deleted endpoint parked, to go out when it is re-enabled. */
  async releaseParked(deliveryId: string, lease: string): Promise<void> {
    await this.deliveryStore.releaseParked(deliveryId, lease);
  }

  async list(principal: Principal, page: PageArgs): Promise<Connection<WebhookEndpoint>> {
    // A scoped caller's endpoints are its domain's.
    return this.endpoints.page(principal.accountId, principal.scopedDomainId || null, page);
  }

  async deliveries(endpoint: WebhookEndpoint, page: PageArgs, status: WebhookDeliveryStatus | null): Promise<Connection<WebhookDelivery>> {
    return this.deliveryStore.page(endpoint.id, status, page);
  }

  async findOwned(principal: Principal, endpointId: string): Promise<WebhookEndpoint | null> {
    const endpoint = await this.endpoints.findInAccount(principal.accountId, endpointId);
    return endpoint && canSee(principal, endpoint) ? endpoint : null;
  }

  async findDelivery(principal: Principal, deliveryId: string): Promise<WebhookDelivery | null> {
    const delivery = await this.deliveryStore.findInAccount(principal.accountId, deliveryId);
    return delivery && (await this.findOwned(principal, delivery.endpointId)) ? delivery : null;
  }

  async endpointsByIds(ids: string[]): Promise<WebhookEndpoint[]> {
    return this.endpoints.findByIds(ids);
  }

  /** The secrets an attempt is signed with now: the current one, and the previous one during its 24 hours. */
  signingSecrets(endpoint: WebhookEndpoint): string[] {
    const previousValid = endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > this.clock.now().getTime();
    return previousValid ? [endpoint.secret, endpoint.previousSecret!] : [endpoint.secret];
  }


  private lockOwned(manager: EntityManager, principal: Principal, endpointId: string): Promise<WebhookEndpoint | null> {
    return this.endpoints.lockVisible(manager, principal, endpointId);
  }

  /** Disables the endpoint in `manager`'s transaction and parks its pending deliveries; the caller saves the endpoint. */
  private async park(manager: EntityManager, endpoint: WebhookEndpoint, reason: string): Promise<void> {
    endpoint.enabled = false;
    endpoint.disabledReason = reason;
    await this.deliveryStore.parkPending(manager, endpoint.id);
  }

  private async record(manager: EntityManager, endpoint: WebhookEndpoint, action: AuditAction, actor: Actor, requestId: string | null, message: string) {
    await this.audit.record(manager, {
      accountId: endpoint.accountId,
      domain: endpoint.domainId ? { id: endpoint.domainId, name: endpoint.domainName ?? "" } : null,
      action,
      actor,
      message,
      requestId,
    });
  }

}

/** Whether the endpoint receives the entry: its domain's (or any, without one) and one of its actions (or any, without any). */
function wants(endpoint: WebhookEndpoint, entry: AuditEntry): boolean {
  return (!endpoint.domainId || endpoint.domainId === entry.domainId) && (endpoint.actions.length === 0 || endpoint.actions.includes(entry.action));
}

function newDelivery(endpoint: WebhookEndpoint, entry: AuditEntry, now: Date): WebhookDelivery {
  const id = uuidv7();
  return Object.assign(new WebhookDelivery(), {
    id,
    endpointId: endpoint.id,
    accountId: entry.accountId,
    entryId: entry.id,
    messageId: `msg_${id.replace(/-/g, "")}`,
    status: WebhookDeliveryStatus.PENDING,
    attempts: 0,
    nextAttemptAt: now,
    lastAttemptAt: null,
    lastResponseStatus: null,
    lastError: null,
    deliveredAt: null,
    attemptLog: [],
    leaseOwner: null,
    leaseExpiresAt: null,
    createdAt: now,
  });
}
