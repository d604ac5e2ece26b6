/**
 * The operations the benchmark sends, to dnsproof and to the baseline alike. The baseline
 * answers exactly these texts (and nothing else), byte for byte as dnsproof does.
 */

/** What the frontends ask for most, the read the benchmark measures: a page of domains, each with its last ten audit entries. */
export const DOMAINS_WITH_AUDIT_LOG = `query($first: Int!) { domains(first: $first) { totalCount edges { cursor node { id name status verified txtRecord { host value } auditLog(first: 10) { totalCount nodes { id action createdAt actor { type id } } } } } pageInfo { hasNextPage endCursor } } }`;

export const CLAIM_DOMAIN = `mutation($name: String!) { claimDomain(input: { name: $name }) { created domain { id name status } userErrors { code message } } }`;

export const REGENERATE_TOKEN = `mutation($id: ID!) { regenerateToken(input: { id: $id }) { domain { id } userErrors { code } } }`;
