import { Field, ObjectType, registerEnumType } from "type-graphql";

export enum AuditAction {
  DOMAIN_CLAIMED = "DOMAIN_CLAIMED",
  VERIFICATION_SUCCEEDED = "VERIFICATION_SUCCEEDED",
  VERIFICATION_FAILED = "VERIFICATION_FAILED",
  VERIFICATION_INCONCLUSIVE = "VERIFICATION_INCONCLUSIVE",
  TOKEN_REGENERATED = "TOKEN_REGENERATED",
  DOMAIN_REMOVED = "DOMAIN_REMOVED",
  DOMAIN_EXPIRED = "DOMAIN_EXPIRED",
  DOMAIN_REVOKED = "DOMAIN_REVOKED",
  API_KEY_CREATED = "API_KEY_CREATED",
  API_KEY_REVOKED = "API_KEY_REVOKED",
  CERTIFICATE_ISSUED = "CERTIFICATE_ISSUED",
  CERTIFICATE_REVOKED = "CERTIFICATE_REVOKED",
  DOMAIN_ATTESTATION_ISSUED = "DOMAIN_ATTESTATION_ISSUED",
  GRACE_PERIOD_STARTED = "GRACE_PERIOD_STARTED",
  TOKEN_EXPIRING_SOON = "TOKEN_EXPIRING_SOON",
  WEBHOOK_ENDPOINT_CREATED = "WEBHOOK_ENDPOINT_CREATED",
  WEBHOOK_ENDPOINT_UPDATED = "WEBHOOK_ENDPOINT_UPDATED",
  WEBHOOK_ENDPOINT_DELETED = "WEBHOOK_ENDPOINT_DELETED",
  WEBHOOK_ENDPOINT_DISABLED = "WEBHOOK_ENDPOINT_DISABLED",
}

registerEnumType(AuditAction, {
  name: "AuditAction",
  description: "What an audit entry records",
  valuesConfig: {
    DOMAIN_CLAIMED: { description: "A name was claimed and its first token issued" },
    VERIFICATION_SUCCEEDED: { description: "A check found the claim's record" },
    VERIFICATION_FAILED: { description: "A check did not find the claim's record" },
    VERIFICATION_INCONCLUSIVE: { description: "A check that concluded nothing (DNS_ERROR, or DNSSEC_BOGUS: signatures that do not validate): the status was not changed" },
    TOKEN_REGENERATED: { description: "A fresh token replaced the old one" },
    DOMAIN_REMOVED: { description: "The claim was deleted" },
    DOMAIN_EXPIRED: { description: "The token ran out before the record was found" },
    DOMAIN_REVOKED: { description: "A verified claim lost its verification" },
    API_KEY_CREATED: { description: "An API key was created; scoped keys' entries belong to their domain" },
    API_KEY_REVOKED: { description: "An API key was revoked" },
    CERTIFICATE_ISSUED: { description: "A client certificate was issued for a verified domain" },
    CERTIFICATE_REVOKED: { description: "A client certificate was revoked, by its owner or because its domain was removed or lost its verification" },
    DOMAIN_ATTESTATION_ISSUED: { description: "A signed attestation of the domain's ownership was issued" },
    GRACE_PERIOD_STARTED: { description: "A VERIFIED domain's re-check failed for the first time: the grace period started" },
    TOKEN_EXPIRING_SOON: { description: "An unverified claim's token runs out soon (TOKEN_EXPIRY_WARNING_HOURS before it does)" },
    WEBHOOK_ENDPOINT_CREATED: { description: "A webhook endpoint was created" },
    WEBHOOK_ENDPOINT_UPDATED: { description: "A webhook endpoint's URL, actions or state was changed, or its secret rotated" },
    WEBHOOK_ENDPOINT_DELETED: { description: "A webhook endpoint was deleted" },
    WEBHOOK_ENDPOINT_DISABLED: { description: "Deliveries kept failing, or the endpoint answered 410 Gone: it was disabled" },
  },
});

/** Why a domain was revoked (DOMAIN_REVOKED entries). */
export enum AuditReason {
  GRACE_PERIOD_ENDED = "GRACE_PERIOD_ENDED",
  PROVEN_BY_ANOTHER_ACCOUNT = "PROVEN_BY_ANOTHER_ACCOUNT",
  SUBTREE_PARENT_LOST = "SUBTREE_PARENT_LOST",
}

registerEnumType(AuditReason, {
  name: "AuditReason",
  description: "Why a domain was revoked",
  valuesConfig: {
    GRACE_PERIOD_ENDED: { description: "Its record stayed missing past the grace period" },
    PROVEN_BY_ANOTHER_ACCOUNT: { description: "Another account proved control of the name while this claim's record was gone" },
    SUBTREE_PARENT_LOST: {
      description: "It was verified through a SUBTREE domain of the account, which was removed, revoked or transferred",
    },
  },
});

export enum ActorType {
  USER = "USER",
  API_KEY = "API_KEY",
  ADMIN = "ADMIN",
  SYSTEM = "SYSTEM",
  CERTIFICATE = "CERTIFICATE",
}

registerEnumType(ActorType, {
  name: "ActorType",
  description: "Who caused an audited action",
  valuesConfig: {
    USER: { description: "A person, authenticated by a JWT" },
    API_KEY: { description: "An API key" },
    ADMIN: { description: "An operator using admin credentials" },
    SYSTEM: { description: "The service itself (scheduled re-verification, expiry)" },
    CERTIFICATE: { description: "A client certificate issued by dnsproof for a verified domain" },
  },
});

@ObjectType("Actor", { description: "Who caused an audited action", simpleResolvers: true })
export class Actor {
  @Field(() => ActorType, { description: "What kind of actor" })
  type!: ActorType;
  @Field(() => String, { nullable: true, description: "User id, API key id or admin id; null for SYSTEM" })
  id!: string | null;
  @Field(() => String, { nullable: true, description: "The actor's e-mail address, when known" })
  email!: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: ActorType.SYSTEM, id: null, email: null };
