import { Actor, ActorType } from "../audit/audit.types";

/** Who is calling, as every service sees it. */
export interface Principal {
  /** The account whose domains the caller sees and acts on. */
  accountId: string;
  userId: string | null;
  email: string | null;
  isAdmin: boolean;
  /** How the caller authenticated; audited as the actor. "oidc": a token of the admin OIDC issuer (ADMIN_OIDC_ISSUER). */
  via: "jwt" | "admin-secret" | "api-key" | "oidc";
  /** For API keys scoped to one domain: the only domain the key may see or touch. */
  scopedDomainId?: string | null;
  apiKeyId?: string;
  /** When the credentials stop being valid (a JWT's exp); long-lived connections (subscriptions) end then. */
  expiresAt?: Date | null;
}

/** The actor an action by `principal` is audited as; admin-only operations are audited as ADMIN. */
export function actorOf(principal: Principal, asAdmin = false): Actor {
  if (principal.via === "api-key") return { type: ActorType.API_KEY, id: principal.apiKeyId ?? null, email: null };
  if (principal.via === "admin-secret") return { type: ActorType.ADMIN, id: "admin-secret", email: null };
  return { type: asAdmin ? ActorType.ADMIN : ActorType.USER, id: principal.userId, email: principal.email };
}
