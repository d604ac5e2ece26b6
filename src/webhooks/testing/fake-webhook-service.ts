import { WebhookService, WebhookSettings } from "../webhook.service";
import { FakeDeliveryStore, FakeWebhookEndpointStore } from "./fake-webhook-stores";
import { createFakeCore } from "../../domains/testing/fake-core";
import { ManualClock } from "../../shared/clock";

export const FAKE_WEBHOOK_SETTINGS: WebhookSettings = {
  maxPerAccount: 3,
  retryDelaysMs: [60_000, 300_000],
  disableAfterMs: 24 * 3_600_000,
  allowPrivate: false,
  // Every host name resolves to one public address, unless a test says otherwise.
  resolve: async () => [{ address: "93.184.215.14", family: 4 }],
};

/** WebhookService over fakes, with the fakes to arrange and inspect, and how many times the worker would have been woken. */
export function createFakeWebhookService(overrides: { settings?: Partial<WebhookSettings>; clock?: ManualClock } = {}) {
  const clock = overrides.clock ?? new ManualClock();
  const endpoints = new FakeWebhookEndpointStore();
  const deliveries = new FakeDeliveryStore(clock);
  const core = createFakeCore(clock, [endpoints.table, deliveries.table]);
  const service = new WebhookService(endpoints, deliveries, core.db, core.domainStore, core.accounts, core.audit, clock, {
    ...FAKE_WEBHOOK_SETTINGS,
    ...overrides.settings,
  });
  const wakes = { count: 0 };
  service.onDeliveriesDue(() => wakes.count++);
  return { ...core, service, endpoints, deliveries, wakes };
}
