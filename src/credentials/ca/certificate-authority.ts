import fs from "node:fs";
import path from "node:path";
import { KeyObject, createPrivateKey, createPublicKey, randomBytes, webcrypto } from "node:crypto";
import { ConfigError, CredentialsConfig } from "../../shared/config";
import { X509, loadX509, pemBlocks } from "../x509";

type CryptoKey = webcrypto.CryptoKey;
type SigningAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams;

/** The CA that signs client certificates and the CRL. */
export interface CertificateAuthority {
  certificate: X509.X509Certificate;
  /** The CA certificate, PEM, as served at /ca.pem and returned as the chain. */
  pem: string;
  signingKey: CryptoKey;
  signingAlgorithm: SigningAlgorithm;
  /** The key identifier certificates and CRLs name it by (its Subject Key Identifier). */
  keyId: string;
  /** Made by dnsproof under DEV_CREDENTIALS_DIR: fine for trying things out, never for production. */
  development: boolean;
}

/** Certificate and key in one file, so that writing it (a rename) is atomic even when two processes start at once. */
const DEV_CA_FILE = ".dev-ca.pem";
const DEV_CA_YEARS = 10;

/**
 * CA_CERT_FILE + CA_KEY_FILE; outside production, without them, a development CA kept under
 * DEV_CREDENTIALS_DIR; in production without them, null (issuing stays off).
 * Without CA_CERT_FILE it needs no X.509 code, so a production start without a CA loads none.
 */
export async function loadCertificateAuthority(settings: CredentialsConfig, env: "production" | "development" | "test"): Promise<CertificateAuthority | null> {
  if (settings.ca) return readCa(settings.ca.certFile, settings.ca.keyFile, false);
  if (env === "production") return null;
  return loadOrCreateDevCa(settings.devDir);
}

async function readCa(certFile: string, keyFile: string, development: boolean): Promise<CertificateAuthority> {
  const x509 = await loadX509();
  const certText = readFile(certFile, "CA_CERT_FILE");
  const [certPem] = pemBlocks(certText, /^CERTIFICATE$/);
  if (!certPem) throw new ConfigError(`CA_CERT_FILE (${certFile}) holds no PEM certificate`);
  let certificate: X509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(certPem);
  } catch {
    throw new ConfigError(`CA_CERT_FILE (${certFile}) is not a readable X.509 certificate`);
  }
  const [keyPem] = pemBlocks(readFile(keyFile, "CA_KEY_FILE"), /PRIVATE KEY$/);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem ?? "");
  } catch {
    throw new ConfigError(`CA_KEY_FILE (${keyFile}) is not a readable, unencrypted PEM private key`);
  }
  // A key that is not the certificate's would sign certificates and CRLs nobody can verify.
  const keySpki = createPublicKey(key).export({ type: "spki", format: "der" });
  if (!keySpki.equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new ConfigError(`CA_KEY_FILE (${keyFile}) does not match the certificate in CA_CERT_FILE (${certFile})`);
  }
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) throw new ConfigError(`CA_CERT_FILE (${certFile}) is not a CA certificate (basicConstraints CA:TRUE is missing)`);
  const { importParams, signingAlgorithm } = algorithmsFor(key, keyFile);
  const signingKey = await webcrypto.subtle.importKey("pkcs8", key.export({ type: "pkcs8", format: "der" }), importParams, false, ["sign"]);
  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski?.keyId ?? Buffer.from(await certificate.publicKey.getKeyIdentifier()).toString("hex");
  return { certificate, pem: certificate.toString("pem") + "\n", signingKey: signingKey as CryptoKey, signingAlgorithm, keyId, development };
}

function algorithmsFor(key: KeyObject, keyFile: string): { importParams: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams; signingAlgorithm: SigningAlgorithm } {
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return { importParams: { name: "ECDSA", namedCurve: "P-256" }, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } };
    if (curve === "secp384r1") return { importParams: { name: "ECDSA", namedCurve: "P-384" }, signingAlgorithm: { name: "ECDSA", hash: "SHA-384" } };
  }
  if (key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) {
    return { importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, signingAlgorithm: { name: "RSASSA-PKCS1-v1_5" } };
  }
  throw new ConfigError(`CA_KEY_FILE (${keyFile}) must be an EC P-256 or P-384 key, or RSA of at least 2048 bits`);
}

function readFile(file: string, variable: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(`${variable} (${file}) cannot be read`);
  }
}

/** Kept between restarts, so certificates issued in development keep chaining after one. */
async function loadOrCreateDevCa(dir: string): Promise<CertificateAuthority> {
  const file = path.join(dir, DEV_CA_FILE);
  if (fs.existsSync(file)) return readCa(file, file, true);

  const x509 = await loadX509();
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: "CN=dnsproof development CA, O=dnsproof (development only)",
    notBefore,
    notAfter: new Date(notBefore.getTime() + DEV_CA_YEARS * 365 * 24 * 3600_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  writeAtomically(file, `${certificate.toString("pem")}\n${x509.PemConverter.encode(pkcs8, "PRIVATE KEY")}\n`);
  return readCa(file, file, true);
}

/**
 * Written under a temporary name and linked into place, so a concurrent start never reads half a
 * file, and when two starts race the first one's file stays: both then use it. Private: mode 0600.
 */
export function writeAtomically(file: string, content: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(temporary, content, { mode: 0o600 });
  try {
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/** 16 bytes, 126 bits of them random: positive and without a leading zero byte, lower-case hex (RFC 5280 4.1.2.2 asks for at most 20 octets). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString("hex");
}
