import fs from "node:fs";
import path from "node:path";
import { KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { JWK, calculateJwkThumbprint } from "jose";
import { ConfigError } from "../../shared/config";
import { writeAtomically } from "../ca/certificate-authority";
import { pemBlocks } from "../x509";

export interface AttestationKey {
  kid: string;
  privateKey: KeyObject;
  /** The public half as published: kty, crv, x, y, kid, alg, use; never d. */
  publicJwk: JWK;
}

/** Keys in order: the first signs, all are published, so a rotation never strands a verifier. */
export interface AttestationKeys {
  signing: AttestationKey;
  all: AttestationKey[];
  development: boolean;
}

const DEV_KEY_FILE = ".dev-attestation-key.pem";

/**
 * ATTESTATION_KEY_FILE (PEM, one or more EC P-256 private keys); outside production without it,
 * a development key kept under DEV_CREDENTIALS_DIR; in production without it, null (attestations off).
 */
export async function loadAttestationKeys(file: string | undefined, devDir: string, env: string): Promise<AttestationKeys | null> {
  if (file) return { ...(await readKeys(file, "ATTESTATION_KEY_FILE")), development: false };
  if (env === "production") return null;
  const devFile = path.join(devDir, DEV_KEY_FILE);
  if (!fs.existsSync(devFile)) {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeAtomically(devFile, privateKey.export({ type: "pkcs8", format: "pem" }).toString());
  }
  return { ...(await readKeys(devFile, "DEV_CREDENTIALS_DIR")), development: true };
}

async function readKeys(file: string, variable: string): Promise<Omit<AttestationKeys, "development">> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(`${variable} (${file}) cannot be read`);
  }
  const blocks = pemBlocks(text, /PRIVATE KEY$/);
  if (blocks.length === 0) throw new ConfigError(`${variable} (${file}) holds no PEM private key`);
  const all: AttestationKey[] = [];
  for (const [index, block] of blocks.entries()) {
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(block);
    } catch {
      throw new ConfigError(`${variable} (${file}): key ${index + 1} is not a readable, unencrypted PEM private key`);
    }
    if (privateKey.asymmetricKeyType !== "ec" || privateKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new ConfigError(`${variable} (${file}): key ${index + 1} must be an EC P-256 key (attestations are signed with ES256)`);
    }
    const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: "jwk" });
    const kid = await calculateJwkThumbprint({ kty, crv, x, y } as JWK);
    all.push({ kid, privateKey, publicJwk: { kty, crv, x, y, kid, alg: "ES256", use: "sig" } as JWK });
  }
  return { signing: all[0], all };
}
