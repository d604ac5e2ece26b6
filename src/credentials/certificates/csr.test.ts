import { webcrypto } from "node:crypto";
import { loadX509 } from "../x509";
import { checkCsr } from "./csr";

/** CSRs made in-process; openssl-made ones go through the whole server in test/integration/certificates.test.ts. */
async function csrFor(algorithm: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams | webcrypto.Algorithm, signing: object = algorithm): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(algorithm as webcrypto.EcKeyGenParams, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const x509 = await loadX509();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: "CN=anything", keys, signingAlgorithm: signing as webcrypto.Algorithm });
  return csr.toString("pem");
}

describe("checkCsr", () => {
  it.each([
    ["EC P-256", { name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }, "ec"],
    ["EC P-384", { name: "ECDSA", namedCurve: "P-384" }, { name: "ECDSA", hash: "SHA-384" }, "ec"],
    ["Ed25519", { name: "Ed25519" }, { name: "Ed25519" }, "ed25519"],
    ["RSA-2048", { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }, "rsa"],
  ])("accepts %s", async (_label, algorithm, signing, keyType) => {
    expect(await checkCsr(await csrFor(algorithm, signing))).toMatchObject({ ok: true, keyType });
  });

  it.each([
    ["EC P-521", { name: "ECDSA", namedCurve: "P-521" }, { name: "ECDSA", hash: "SHA-512" }, /must be EC P-256 or P-384/],
    ["RSA-1024", { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }, /1024 bits; at least 2048/],
  ])("refuses %s", async (_label, algorithm, signing, message) => {
    const result = await checkCsr(await csrFor(algorithm, signing));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(message);
  });

  it("refuses oversized input before parsing it", async () => {
    expect(await checkCsr("x".repeat(20_000))).toEqual({ ok: false, message: expect.stringMatching(/longer than/) });
  });

  it("accepts the older NEW CERTIFICATE REQUEST label", async () => {
    const pem = (await csrFor({ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" })).replace(/CERTIFICATE REQUEST/g, "NEW CERTIFICATE REQUEST");
    expect(await checkCsr(pem)).toMatchObject({ ok: true });
  });
});
