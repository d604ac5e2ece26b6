import type { EntityManager } from "typeorm";
import { v7 as uuidv7 } from "uuid";
import { Certificate, CertificateRevocationReason } from "./certificate.entity";
import { checkCsr } from "./csr";
import type { CertificateStore, DomainCertificatesLoader } from "./certificate.store";
import type { CertificateAuthority } from "../ca/certificate-authority";
import { issueClientCertificate } from "../ca/issue";
import { loadX509, sha256Hex } from "../x509";
import type { Clock } from "../../shared/clock";
import type { Database } from "../../db/database";
import type { AuditEntry } from "../../audit/audit-entry.entity";
import { AuditAction } from "../../audit/audit.types";
import { type DomainService, unverifiedDomainError } from "../../domains/domain.service";
import type { AuditRecorder } from "../../domains/verification.service";
import { LimitWording, withinLimit } from "../../accounts/limits";
import type { Authentication } from "../../auth/authenticator";
import { ActionContext, Principal, canSee, isIssuedCredential, listScope } from "../../shared/principal";
import { actorOf } from "../../audit/actor";
import { forbidden, notConfigured } from "../../shared/errors";
import { DomainScope } from "../../shared/domain-scope";
import { Connection, PageArgs, toConnection } from "../../shared/pagination";
import { UserError, UserErrorCode, notFound, userError } from "../../shared/errors";

export interface CertificateSettings {
  /** CERT_TTL_DAYS */
  ttlMs: number;
  /** PUBLIC_URL/crl, named in every certificate. */
  crlUrl: string;
  /** MAX_CERTIFICATES_PER_DOMAIN */
  maxActivePerDomain: number;
}

export type IssueCertificateResult = { ok: true; certificate: Certificate; chainPem: string } | { ok: false; error: UserError };
export type RevokeCertificateResult = { ok: true; certificate: Certificate } | { ok: false; error: UserError };

/** What each audited domain change means for the domain's certificates. */
const REVOKING_ACTIONS: Partial<Record<AuditAction, CertificateRevocationReason>> = {
  [AuditAction.DOMAIN_REMOVED]: CertificateRevocationReason.DOMAIN_REMOVED,
  [AuditAction.DOMAIN_REVOKED]: CertificateRevocationReason.DOMAIN_NOT_VERIFIED,
  [AuditAction.DOMAIN_EXPIRED]: CertificateRevocationReason.DOMAIN_NOT_VERIFIED,
};

const REASON_WORDS: Record<CertificateRevocationReason, string> = {
  DOMAIN_REMOVED: "its domain was removed",
  DOMAIN_NOT_VERIFIED: "its domain is no longer verified",
  REVOKED_BY_OWNER: "its owner revoked it",
};

/** Fingerprints whose signature by our CA was already checked; a certificate never changes, so the answer cannot either. */
const MAX_VERIFIED_FINGERPRINTS = 10_000;

/** MAX_CERTIFICATES_PER_DOMAIN, as the caller is told it: the domain, not the account, holds the count. */
export const certificateLimit = (domainName: string): LimitWording => ({
  code: UserErrorCode.CERTIFICATE_LIMIT_REACHED,
  holder: `${domainName} has`,
  counted: "active certificates",
  remedy: "revoke one before issuing another",
  field: ["input", "domainId"],
});

/** A certificate to revoke, with what its CERTIFICATE_REVOKED entry says. */
interface Revocation {
  certificate: Certificate;
  reason: CertificateRevocationReason;
  at: Date;
  actor: { type: AuditEntry["actorType"]; id: string | null; email: string | null };
  requestId: string | null;
}

/** What issueCertificate answers for a wildcard on a domain verified for its own name only. */
export function scopeTooNarrow(name: string): UserError {
  return userError(
    UserErrorCode.SCOPE_TOO_NARROW,
    `A wildcard certificate names every host under ${name}, so it needs a VERIFIED domain of scope SUBTREE; ${name} is verified for itself only.`,
    ["input", "wildcard"],
  );
}

const NOT_OURS: Authentication = { principal: null, problem: "The client certificate was not issued by this server." };

/**
 * Issues, lists and revokes client certificates, revokes them when their domain goes, and turns
 * a presented certificate into a Principal. Only people (and admins) issue: a leaked key or
 * certificate could otherwise mint credentials that outlive its own revocation.
 */
export class CertificateService {
  private readonly signedFingerprints = new Set<string>();

  constructor(
    private readonly store: CertificateStore,
    private readonly transactions: Pick<Database, "transaction">,
    private readonly domains: Pick<DomainService, "findVerifiedDomain" | "lockVerifiedDomain">,
    private readonly audit: AuditRecorder,
    private readonly clock: Clock,
    /** Read or made at its first use; null when issuing is off. */
    private readonly ca: () => Promise<CertificateAuthority | null>,
    private readonly settings: CertificateSettings,
  ) {}

  async issue(ctx: ActionContext, domainId: string, csrPem: string, wildcard = false): Promise<IssueCertificateResult> {
    const { principal } = ctx;
    if (isIssuedCredential(principal)) {
      throw forbidden("API keys and client certificates cannot issue certificates; sign in as a person to issue one.");
    }
    const ca = await this.requireCa();
    return this.transactions.transaction(async (manager) => {
      // Locked, so a removal or revocation running now either comes first (and we refuse) or waits and revokes what we issue.
      const found = await this.domains.lockVerifiedDomain(manager, principal.accountId, domainId);
      if (!found.ok) return { ok: false, error: unverifiedDomainError(found.domain, "asking for a certificate for it") };
      const { domain } = found;
      // A wildcard names every host under the domain, which only a SUBTREE verification proves.
      if (wildcard && domain.scope !== DomainScope.SUBTREE) return { ok: false, error: scopeTooNarrow(domain.name) };
      const now = this.clock.now();
      const room = await this.roomFor(manager, domain, now);
      if (!room.ok) return room;
      const csr = await checkCsr(csrPem);
      if (!csr.ok) return { ok: false, error: userError(UserErrorCode.INVALID_CSR, csr.message, ["input", "csr"]) };

      // X.509 times have whole seconds; the row keeps exactly what the certificate says.
      const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
      const notAfter = new Date(notBefore.getTime() + Math.floor(this.settings.ttlMs / 1000) * 1000);
      const issued = await issueClientCertificate(ca, { publicKey: csr.publicKey, domainName: domain.name, wildcard, notBefore, notAfter, crlUrl: this.settings.crlUrl });
      const certificate = await this.store.insert(
        manager,
        Object.assign(new Certificate(), {
          id: uuidv7(),
          accountId: domain.accountId,
          domainId: domain.id,
          domainName: domain.name,
          ...issued,
          notBefore,
          notAfter,
          revokedAt: null,
          revocationReason: null,
          createdAt: now,
        }),
      );
      await this.audit.record(manager, {
        accountId: domain.accountId,
        domain,
        action: AuditAction.CERTIFICATE_ISSUED,
        actor: actorOf(principal),
        message: `Issued a client certificate for ${domain.name}${wildcard ? ` and *.${domain.name}` : ""} (serial ${issued.serialNumber}), valid until ${notAfter.toISOString()}.`,
        requestId: ctx.requestId,
      });
      return { ok: true, certificate, chainPem: ca.pem };
    });
  }

  /** Revoking a revoked certificate changes nothing and answers the certificate as it is. */
  async revoke(ctx: ActionContext, certificateId: string): Promise<RevokeCertificateResult> {
    const { principal } = ctx;
    return this.transactions.transaction(async (manager) => {
      const certificate = await this.store.lockVisible(manager, principal, certificateId);
      if (!certificate) return { ok: false, error: notFound("certificate") };
      if (certificate.revokedAt) return { ok: true, certificate };
      const revocation = { certificate, reason: CertificateRevocationReason.REVOKED_BY_OWNER, at: this.clock.now(), actor: actorOf(principal), requestId: ctx.requestId };
      await this.markRevoked(manager, [revocation]);
      return { ok: true, certificate };
    });
  }

  /**
   * The audit listener behind "revocation follows the domain": it runs inside the transaction
   * that removes, revokes or expires a domain (a transfer records the loser's DOMAIN_REVOKED),
   * so the certificates are revoked, and audited, in the same commit, whichever code path it was.
   * A batch of entries reads the certificates of all their domains at once and revokes them with
   * their CERTIFICATE_REVOKED entries together, each domain's in the order its certificates were
   * issued, under the first entry that revoked the domain. Those entries are not revoking
   * actions, so recording them never recurses.
   */
  readonly revokeWithDomain = async (manager: EntityManager, entries: readonly AuditEntry[]): Promise<void> => {
    const revoking = entries.filter((entry) => REVOKING_ACTIONS[entry.action] && entry.domainId);
    if (revoking.length === 0) return;
    const live = new Map<string, Certificate[]>();
    for (const certificate of await this.store.unrevokedOfDomains(manager, [...new Set(revoking.map((entry) => entry.domainId!))])) {
      live.set(certificate.domainId, [...(live.get(certificate.domainId) ?? []), certificate]);
    }
    const revocations: Revocation[] = [];
    for (const entry of revoking) {
      const certificates = live.get(entry.domainId!) ?? [];
      live.delete(entry.domainId!);
      const actor = { type: entry.actorType, id: entry.actorId, email: entry.actorEmail };
      for (const certificate of certificates) {
        revocations.push({ certificate, reason: REVOKING_ACTIONS[entry.action]!, at: entry.createdAt, actor, requestId: entry.requestId });
      }
    }
    await this.markRevoked(manager, revocations);
  };

  async list(principal: Principal, page: PageArgs, domainId: string | null): Promise<Connection<Certificate>> {
    const onlyDomain = listScope(principal, domainId);
    // A scoped caller asking for another domain's certificates sees none of them.
    if (onlyDomain === "none") return toConnection([], page, 0);
    return this.store.page(principal.accountId, onlyDomain, page);
  }

  /** Per-request batching of Domain.certificates for `accountId`'s certificates. */
  createDomainCertificatesLoader(accountId: string): DomainCertificatesLoader {
    return this.store.domainCertificatesLoader(accountId);
  }

  /** The caller's certificate, or null for a missing id and another account's (or scope's) id alike. */
  async findOwned(principal: Principal, certificateId: string): Promise<Certificate | null> {
    const certificate = await this.store.findInAccount(principal.accountId, certificateId);
    return certificate && canSee(principal, certificate) ? certificate : null;
  }

  /**
   * A presented client certificate (DER) as a Principal scoped to its domain, like a domain-scoped
   * API key. It must be one we issued (known by its fingerprint and signed by our CA), within its
   * dates and not revoked, and its domain must still be VERIFIED in the same account: checked on
   * every request, so a removal takes effect at once even before the CRL is fetched anew.
   */
  async authenticate(der: Uint8Array): Promise<Authentication> {
    const fingerprint = sha256Hex(der);
    const certificate = await this.store.findByFingerprint(fingerprint);
    if (!certificate) return NOT_OURS;
    const ca = await this.ca();
    if (!ca) return NOT_OURS;
    // Parsing and checking the signature cost more than the rest together; each certificate is checked once.
    if (!this.signedFingerprints.has(fingerprint)) {
      if (!(await signedBy(ca, der))) return NOT_OURS;
      if (this.signedFingerprints.size >= MAX_VERIFIED_FINGERPRINTS) this.signedFingerprints.clear();
      this.signedFingerprints.add(fingerprint);
    }
    const now = this.clock.now().getTime();
    if (now < certificate.notBefore.getTime()) return { principal: null, problem: "The client certificate is not valid yet." };
    if (now > certificate.notAfter.getTime()) return { principal: null, problem: "The client certificate has expired; issue a new one." };
    if (certificate.revokedAt) return { principal: null, problem: "The client certificate has been revoked." };
    if (!(await this.domains.findVerifiedDomain(certificate.accountId, certificate.domainId)).ok) {
      return { principal: null, problem: `The client certificate is inactive: ${certificate.domainName} is no longer verified in this account.` };
    }
    return {
      principal: {
        accountId: certificate.accountId,
        userId: null,
        email: null,
        isAdmin: false,
        via: "certificate",
        scopedDomainId: certificate.domainId,
        certificateId: certificate.id,
        expiresAt: certificate.notAfter,
      },
    };
  }

  /** Revokes the certificates (one statement per time and reason) and writes their CERTIFICATE_REVOKED entries, in the order given. */
  private async markRevoked(manager: EntityManager, revocations: readonly Revocation[]): Promise<void> {
    if (revocations.length === 0) return;
    const groups = new Map<string, Revocation[]>();
    for (const revocation of revocations) {
      const key = `${revocation.at.getTime()} ${revocation.reason}`;
      groups.set(key, [...(groups.get(key) ?? []), revocation]);
    }
    for (const group of groups.values()) {
      const { at, reason } = group[0];
      await this.store.markRevoked(manager, group.map(({ certificate }) => certificate.id), at, reason);
    }
    await this.audit.recordMany(
      manager,
      revocations.map(({ certificate, reason, at, actor, requestId }) => {
        certificate.revokedAt = at;
        certificate.revocationReason = reason;
        return {
          accountId: certificate.accountId,
          domain: { id: certificate.domainId, name: certificate.domainName },
          action: AuditAction.CERTIFICATE_REVOKED,
          actor,
          message: `Revoked the client certificate for ${certificate.domainName} (serial ${certificate.serialNumber}): ${REASON_WORDS[reason]}.`,
          requestId,
        };
      }),
    );
  }

  /**
   * Every active certificate lengthens the CRL once revoked, and the CRL is rebuilt whole: the
   * count holds under the domain's row lock, so concurrent issues cannot pass it together.
   */
  private async roomFor(manager: EntityManager, domain: { id: string; name: string }, now: Date) {
    const active = await this.store.countActive(manager, domain.id, now);
    return withinLimit(certificateLimit(domain.name), active, this.settings.maxActivePerDomain);
  }

  private async requireCa(): Promise<CertificateAuthority> {
    const ca = await this.ca();
    if (!ca) throw notConfigured("Certificate issuing is off on this server: no CA is configured (CA_CERT_FILE and CA_KEY_FILE).");
    return ca;
  }
}

async function signedBy(ca: CertificateAuthority, der: Uint8Array): Promise<boolean> {
  const x509 = await loadX509();
  try {
    const presented = new x509.X509Certificate(der);
    return presented.issuer === ca.certificate.subject && (await presented.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true }));
  } catch {
    return false;
  }
}

