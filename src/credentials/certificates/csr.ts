import { createPublicKey } from "node:crypto";
import { X509, loadX509 } from "../x509";

export type CsrCheck = { ok: true; publicKey: X509.PublicKey; keyType: "ec" | "rsa" | "ed25519" } | { ok: false; message: string };

const MAX_CSR_LENGTH = 16 * 1024;
const MIN_RSA_BITS = 2048;
const CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384" };

/**
 * A PKCS#10 request dnsproof will certify: PEM, signed by the key it carries (proof of
 * possession), and that key EC P-256/P-384, Ed25519 or RSA of at least 2048 bits. Nothing
 * else in it is read: the subject and names come from the domain.
 */
export async function checkCsr(pem: string): Promise<CsrCheck> {
  const text = pem.trim();
  if (text.length > MAX_CSR_LENGTH) return { ok: false, message: `The CSR is longer than ${MAX_CSR_LENGTH} characters.` };
  if (!/^-----BEGIN (NEW )?CERTIFICATE REQUEST-----[\s\S]+-----END (NEW )?CERTIFICATE REQUEST-----$/.test(text)) {
    return { ok: false, message: "Send the CSR as PEM: -----BEGIN CERTIFICATE REQUEST----- ... (openssl req -new -key client.key -subj /CN=x)." };
  }
  const x509 = await loadX509();
  let csr: X509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(text.replace(/(BEGIN|END) NEW CERTIFICATE/g, "$1 CERTIFICATE"));
  } catch {
    return { ok: false, message: "The CSR could not be read as a PKCS#10 certificate signing request." };
  }
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
  } catch {
    return { ok: false, message: "The CSR's public key could not be read." };
  }
  let keyType: "ec" | "rsa" | "ed25519";
  if (key.asymmetricKeyType === "ec" && CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""]) keyType = "ec";
  else if (key.asymmetricKeyType === "ed25519") keyType = "ed25519";
  else if (key.asymmetricKeyType === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return { ok: false, message: `The CSR's RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required.` };
    keyType = "rsa";
  } else {
    return { ok: false, message: "The CSR's key must be EC P-256 or P-384, Ed25519, or RSA of at least 2048 bits." };
  }
  let signed = false;
  try {
    signed = await csr.verify();
  } catch {
    signed = false;
  }
  if (!signed) return { ok: false, message: "The CSR's signature does not verify with the key it carries." };
  return { ok: true, publicKey: csr.publicKey, keyType };
}
