import { ApiKeyService, ApiKeySettings } from "../api-key.service";
import { FakeApiKeyStore } from "./fake-api-key-store";
import { createFakeCore } from "../../domains/testing/fake-core";
import { ManualClock } from "../../shared/clock";

export const FAKE_API_KEY_SETTINGS: ApiKeySettings = {
  allowAdminKeys: false,
  adminUserIds: [],
  adminEmails: [],
  adminSecretConfigured: false,
  maxActivePerAccount: 3,
};

/** ApiKeyService over fakes, with the fakes to arrange and inspect: claims, accounts, the audit log and the clock. */
export function createFakeApiKeyService(overrides: { settings?: Partial<ApiKeySettings>; clock?: ManualClock } = {}) {
  const clock = overrides.clock ?? new ManualClock();
  const store = new FakeApiKeyStore();
  const core = createFakeCore(clock, [store.table]);
  const service = new ApiKeyService(store, core.db, core.domains, core.accounts, core.audit, clock, { ...FAKE_API_KEY_SETTINGS, ...overrides.settings });
  return { ...core, service, store };
}
