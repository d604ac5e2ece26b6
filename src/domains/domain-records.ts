import { expectedCnameTarget, expectedTxtValue, publishableCnameTarget, verificationHost } from "../dns/records";
import { registrableDomain, relativeToRegistrable, unicodeNameOf } from "./domain-name";
import { VerificationMethod } from "./verification-check.type";
import type { DnsRecord } from "./domain.types";

export function txtRecordOf(domain: { name: string; token: string }): DnsRecord {
  const host = verificationHost(domain.name);
  return { type: VerificationMethod.TXT, host, relativeHost: relativeToRegistrable(host, domain.name), value: expectedTxtValue(domain.token) };
}

export function cnameRecordOf(domain: { name: string; token: string }, cnameZone: string): DnsRecord {
  const host = verificationHost(domain.name);
  return {
    type: VerificationMethod.CNAME,
    host,
    relativeHost: relativeToRegistrable(host, domain.name),
    value: expectedCnameTarget(domain.token, cnameZone),
  };
}

function cnameAdvice(domain: { token: string }, cnameZone: string, contractTarget: string): string {
  const publishable = publishableCnameTarget(domain.token, cnameZone);
  return publishable === contractTarget
    ? `Or, instead, a CNAME record at the same name pointing to ${contractTarget}.`
    : `Or, instead, a CNAME record at the same name pointing to ${publishable} (the token split in two labels, ` +
        `because DNS labels hold at most 63 characters; ${contractTarget} is accepted too where a panel allows it).`;
}

/** Steps a person can follow in any DNS panel, naming the exact record. */
export function instructionsFor(domain: { name: string; token: string }, cnameZone: string): string {
  const txt = txtRecordOf(domain);
  const cname = cnameRecordOf(domain, cnameZone);
  const zone = registrableDomain(domain.name);
  const display = unicodeNameOf(domain.name);
  return [
    `To prove you control ${display}, add this TXT record in the DNS of ${zone}:`,
    `  name: ${txt.host}  (in panels that append ${zone} to names, type only: ${txt.relativeHost})`,
    `  value: ${txt.value}`,
    cnameAdvice(domain, cnameZone, cname.value),
    `Then run verifyDomain. Leave the record in place: verified domains are re-checked and lose their status if it disappears.`,
  ].join("\n");
}
