/**
 * Whether a host name can exist in DNS: labels of 1 to 63 octets, 253 characters in all (RFC 1035 §2.3.4).
 * A 64-character token makes the contract's CNAME target fail this, so advice must not offer it.
 */
export function fitsInDns(name: string): boolean {
  const labels = name.replace(/\.$/, "").split(".");
  return name.length <= 253 && labels.every((label) => label.length >= 1 && label.length <= 63);
}
