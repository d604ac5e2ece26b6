import "reflect-metadata";
import { createHash, webcrypto } from "node:crypto";
import type * as X509 from "@peculiar/x509";
import { lazy } from "../shared/lazy";

export type { X509 };

/**
 * @peculiar/x509 with the asn1 packages under it, required at first use (issuing, the CRL,
 * /ca.pem, a client certificate, the CA): they are over 100 ms of every start otherwise.
 */
export const loadX509 = lazy(async (): Promise<typeof X509> => {
  const x509 = await import("@peculiar/x509");
  // @peculiar/x509 does every signature and key operation through WebCrypto; Node's is the one here.
  x509.cryptoProvider.set(webcrypto as never);
  return x509;
});

/** SHA-256 of DER bytes, lower-case hex: the fingerprint certificates are known by. */
export function sha256Hex(der: ArrayBuffer | Uint8Array): string {
  return createHash("sha256").update(Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der))).digest("hex");
}

/** Every PEM block of one label in `text`, in order (a chain file, a key file holding several keys). */
export function pemBlocks(text: string, label: RegExp): string[] {
  const blocks: string[] = [];
  for (const match of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g)) {
    if (label.test(match[1])) blocks.push(match[0]);
  }
  return blocks;
}
