import { CertificateResolver, DomainCertificatesResolver } from "./certificates/certificate.resolver";
import { AttestationResolver } from "./attestations/attestation.resolver";

/** The credentials' part of the API schema; createCredentialServices makes one instance of each. */
export const credentialResolverClasses = [CertificateResolver, DomainCertificatesResolver, AttestationResolver];
