import { expectedTxtValue, publishableCnameTarget, verificationHost } from "../verification/records";
import { registrableDomain, relativeToRegistrable, unicodeNameOf } from "./domain-name";
import { VerificationMethod } from "../verification/verification-check.type";
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
    // The contract's T1.T2.<zone>: a 64-character token in one label is one octet over what DNS allows.
    value: publishableCnameTarget(domain.token, cnameZone),
  };
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
    `Or, instead, a CNAME record at the same name pointing to ${cname.value}.`,
    `Then run verifyDomain. Leave the record in place: verified domains are re-checked and lose their status if it disappears.`,
  ].join("\n");
}
