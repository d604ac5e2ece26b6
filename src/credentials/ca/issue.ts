import type { CertificateAuthority } from "./certificate-authority";
import { randomSerial } from "./certificate-authority";
import { X509, loadX509, sha256Hex } from "../x509";

export interface ClientCertificateRequest {
  publicKey: X509.PublicKey;
  /** The verified domain, ASCII (punycode): the subject and the only DNS name. */
  domainName: string;
  /** Also name `*.<domainName>` (a VERIFIED SUBTREE domain's certificate). */
  wildcard?: boolean;
  notBefore: Date;
  notAfter: Date;
  /** Where relying parties fetch the CRL. */
  crlUrl: string;
}

export interface IssuedCertificate {
  serialNumber: string;
  fingerprintSha256: string;
  pem: string;
}

/** RFC 5280's upper bound on a common name; longer names live in the SAN alone. */
const MAX_COMMON_NAME = 64;

/** A TLS client certificate for a verified domain, signed by the CA; whatever the CSR asked for plays no part. */
export async function issueClientCertificate(ca: CertificateAuthority, request: ClientCertificateRequest): Promise<IssuedCertificate> {
  const x509 = await loadX509();
  const { domainName } = request;
  const commonName = domainName.length <= MAX_COMMON_NAME;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: commonName ? [{ CN: [domainName] }] : [],
    issuer: ca.certificate.subjectName,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    publicKey: request.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      // With an empty subject the SAN is the only name, and RFC 5280 4.2.1.6 makes it critical.
      new x509.SubjectAlternativeNameExtension(
        [{ type: "dns", value: domainName }, ...(request.wildcard ? [{ type: "dns" as const, value: `*.${domainName}` }] : [])],
        !commonName,
      ),
      new x509.AuthorityKeyIdentifierExtension(ca.keyId),
      await x509.SubjectKeyIdentifierExtension.create(request.publicKey),
      new x509.CRLDistributionPointsExtension([request.crlUrl]),
    ],
  });
  return {
    serialNumber: certificate.serialNumber.toLowerCase(),
    fingerprintSha256: sha256Hex(certificate.rawData),
    pem: certificate.toString("pem") + "\n",
  };
}
