import { CertificateService, CertificateSettings } from "../certificate.service";
import { FakeCertificateStore } from "./fake-certificate-store";
import type { CertificateAuthority } from "../../ca/certificate-authority";
import { createFakeCore } from "../../../domains/testing/fake-core";
import { ManualClock } from "../../../shared/clock";

export const FAKE_CERTIFICATE_SETTINGS: CertificateSettings = {
  ttlMs: 30 * 86_400_000,
  crlUrl: "https://dnsproof.test/crl",
  maxActivePerDomain: 2,
};

/**
 * CertificateService over fakes, with the fakes to arrange and inspect. `ca` is what signs
 * (a development CA made in a temporary directory is offline and cheap); null turns issuing off.
 */
export function createFakeCertificateService(
  overrides: { ca?: CertificateAuthority | null; settings?: Partial<CertificateSettings>; clock?: ManualClock } = {},
) {
  const clock = overrides.clock ?? new ManualClock();
  const store = new FakeCertificateStore();
  const core = createFakeCore(clock, [store.table]);
  const ca = overrides.ca ?? null;
  const service = new CertificateService(store, core.db, core.domains, core.audit, clock, async () => ca, { ...FAKE_CERTIFICATE_SETTINGS, ...overrides.settings });
  return { ...core, service, store };
}
