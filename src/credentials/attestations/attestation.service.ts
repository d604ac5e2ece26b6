import { SignJWT } from "jose";
import { v7 as uuidv7 } from "uuid";
import type { AttestationKeys } from "./attestation-keys";
import type { Clock } from "../../shared/clock";
import type { Database } from "../../db/database";
import type { AuditLog } from "../../audit/audit-log";
import { AuditAction } from "../../audit/audit.types";
import { type DomainService, unverifiedDomainError } from "../../domains/domain.service";
import { type ActionContext, isIssuedCredential } from "../../shared/principal";
import { actorOf } from "../../audit/actor";
import { toGlobalId } from "../../graphql/global-id";
import { badUserInput, forbidden, notConfigured } from "../../shared/errors";
import type { UserError } from "../../shared/errors";
import type { VerificationCheckData } from "../../verification/types";

export interface AttestationSettings {
  /** PUBLIC_URL: the iss claim. */
  issuer: string;
  /** ATTESTATION_TTL_MINUTES */
  ttlMs: number;
}

export type IssueAttestationResult = { ok: true; attestation: string; expiresAt: Date } | { ok: false; error: UserError };

const MAX_AUDIENCE_LENGTH = 2048;

/**
 * Signed statements that an account controls a domain, for third parties that check them against
 * /.well-known/jwks.json instead of asking dnsproof. Short-lived by design: they are not revoked,
 * which is why only people (and admins) mint them: one minted by a leaked API key or certificate
 * would stay valid after that credential was revoked.
 */
export class AttestationService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly domains: DomainService,
    private readonly clock: Clock,
    private readonly keys: AttestationKeys | null,
    private readonly settings: AttestationSettings,
  ) {}

  /** The public keys, as served at /.well-known/jwks.json. */
  jwks(): { keys: object[] } {
    return { keys: this.keys?.all.map((k) => k.publicJwk) ?? [] };
  }

  async issue(ctx: ActionContext, domainId: string, audience: string | null): Promise<IssueAttestationResult> {
    if (isIssuedCredential(ctx.principal)) {
      throw forbidden("API keys and client certificates cannot issue attestations; sign in as a person to issue one.");
    }
    if (!this.keys) throw notConfigured("Attestations are off on this server: no signing key is configured (ATTESTATION_KEY_FILE).");
    if (audience !== null && (audience.trim() === "" || audience.length > MAX_AUDIENCE_LENGTH || /\p{Cc}/u.test(audience))) {
      throw badUserInput(`"audience" must be 1 to ${MAX_AUDIENCE_LENGTH} characters without control characters, or omitted.`, "input.audience");
    }
    // People only, so the caller is never scoped to one domain: the account is all there is to check.
    const found = await this.domains.findVerifiedDomain(ctx.principal.accountId, domainId);
    const verifiedAt = found.ok ? found.domain.verifiedAt : null;
    if (!found.ok || !verifiedAt) return { ok: false, error: unverifiedDomainError(found.domain, "asking for an attestation of it") };
    const { domain } = found;
    const now = this.clock.now();
    const check = await this.latestSuccess(ctx.principal.accountId, domain.id);
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = new Date((issuedAt + Math.floor(this.settings.ttlMs / 1000)) * 1000);
    const id = uuidv7();
    let jwt = new SignJWT({
      account_id: domain.accountId,
      verified_at: Math.floor(verifiedAt.getTime() / 1000),
      verification_method: check?.method ?? null,
      // What the attestation vouches for: the name alone, or the name and the tree under it.
      scope: domain.scope,
      ...(domain.inheritedFromId ? { inherited_from: toGlobalId("Domain", domain.inheritedFromId) } : {}),
      // What DNSSEC said about the check that holds now, so a relying party can require SECURE.
      dnssec: check?.dnssec ?? "UNVALIDATED",
      ...corroborationClaim(check),
    })
      .setProtectedHeader({ alg: "ES256", kid: this.keys.signing.kid, typ: "JWT" })
      .setIssuer(this.settings.issuer)
      .setSubject(domain.name)
      .setIssuedAt(issuedAt)
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .setJti(id);
    if (audience !== null) jwt = jwt.setAudience(audience);
    const attestation = await jwt.sign(this.keys.signing.privateKey);
    await this.db.transaction((manager) =>
      this.audit.record(manager, {
        accountId: domain.accountId,
        domain,
        action: AuditAction.DOMAIN_ATTESTATION_ISSUED,
        actor: actorOf(ctx.principal),
        message: `Issued an ownership attestation for ${domain.name}${audience !== null ? ` to ${audience}` : ""} (jti ${id}), valid until ${expiresAt.toISOString()}.`,
        requestId: ctx.requestId,
      }),
    );
    return { ok: true, attestation, expiresAt };
  }

  /** How the verification that holds now was made: the latest successful check. */
  private async latestSuccess(accountId: string, domainId: string): Promise<VerificationCheckData | null> {
    const page = await this.audit.list({ accountId, domainId, action: AuditAction.VERIFICATION_SUCCEEDED }, { first: 1, after: null });
    return page.nodes[0]?.check ?? null;
  }
}

/**
 * How many remote perspectives, in how many regions, corroborated the check the attestation
 * rests on; absent when the server asks none, so a relying party can tell the two apart.
 */
function corroborationClaim(check: VerificationCheckData | null): { corroboration?: object } {
  const corroboration = check?.corroboration;
  if (!corroboration) return {};
  return {
    corroboration: {
      perspectives: corroboration.corroborating,
      asked: corroboration.asked,
      regions: corroboration.regions.length,
      region_names: corroboration.regions,
    },
  };
}
