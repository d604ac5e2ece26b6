import { expectedTxtValue, publishableCnameTarget, recordHostOf } from "../verification/records";
import type { DomainScope } from "../shared/domain-scope";
import { accountUriOf, persistHost, renderPersistentRecord } from "../verification/persist";
import { registrableDomain, relativeToRegistrable, unicodeNameOf } from "./domain-name";
import { VerificationMethod } from "../verification/verification-check.type";
import type { DnsRecord } from "./domain.types";
import type { Domain } from "./domain.entity";
import type { VerificationRequest } from "../verification/types";

/** What the records of a claim are made of: its name, its token and its scope (which names the record host). */
export type RecordSource = { name: string; token: string; scope?: DomainScope };

export function txtRecordOf(domain: RecordSource): DnsRecord {
  const host = recordHostOf(domain);
  return { type: VerificationMethod.TXT, host, relativeHost: relativeToRegistrable(host, domain.name), value: expectedTxtValue(domain.token) };
}

export function cnameRecordOf(domain: RecordSource, cnameZone: string): DnsRecord {
  const host = recordHostOf(domain);
  return {
    type: VerificationMethod.CNAME,
    host,
    relativeHost: relativeToRegistrable(host, domain.name),
    // The contract's T1.T2.<zone>: a 64-character token in one label is one octet over what DNS allows.
    value: publishableCnameTarget(domain.token, cnameZone),
  };
}

/** Steps a person can follow in any DNS panel, naming the exact record. */
export function instructionsFor(domain: RecordSource, cnameZone: string): string {
  const txt = txtRecordOf(domain);
  const cname = cnameRecordOf(domain, cnameZone);
  const zone = registrableDomain(domain.name);
  const display = unicodeNameOf(domain.name);
  return [
    domain.scope === "SUBTREE"
      ? `To prove you control ${display} and every name under it, add this TXT record in the DNS of ${zone}:`
      : `To prove you control ${display}, add this TXT record in the DNS of ${zone}:`,
    `  name: ${txt.host}  (in panels that append ${zone} to names, type only: ${txt.relativeHost})`,
    `  value: ${txt.value}`,
    `Or, instead, a CNAME record at the same name pointing to ${cname.value}.`,
    `Then run verifyDomain. Leave the record in place: verified domains are re-checked and lose their status if it disappears.`,
  ].join("\n");
}

/** Who persistent records name: the issuer names this service answers to, and where accounts are reached. */
export interface PersistSettings {
  /** PERSIST_ISSUER: the first is shown in new records. */
  issuers: readonly string[];
  /** PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
}


/** The account's persistent record for the claim; a SUBTREE claim's covers the names under it too. */
export function persistentRecordOf(domain: { name: string; accountId: string; scope?: DomainScope }, settings: PersistSettings): DnsRecord {
  const host = persistHost(domain.name);
  const value = renderPersistentRecord({
    issuer: settings.issuers[0],
    accountUri: accountUriOf(domain.accountId, settings.publicUrl),
    subtree: domain.scope === "SUBTREE",
    persistUntil: null,
  });
  return { type: VerificationMethod.TXT, host, relativeHost: relativeToRegistrable(host, domain.name), value };
}

/** What the verifier is asked about a claim: its record (by scope and token) and its account's persistent records. */
export function verificationRequestOf(claim: Pick<Domain, "name" | "token" | "previousTokens" | "scope" | "accountId">): VerificationRequest {
  return { name: claim.name, token: claim.token, previousTokens: claim.previousTokens, scope: claim.scope, accountId: claim.accountId };
}
