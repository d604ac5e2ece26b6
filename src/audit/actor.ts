import type { Principal } from "../shared/principal";
import { toGlobalId } from "../graphql/global-id";
import { Actor, ActorType } from "./audit.types";

/** The actor an action by `principal` is audited as; admin-only operations are audited as ADMIN. */
export function actorOf(principal: Principal, asAdmin = false): Actor {
  // Keys and certificates are named by the ids clients see (the node ids), so an entry's actor can be looked up.
  if (principal.via === "api-key") return { type: ActorType.API_KEY, id: principal.apiKeyId ? toGlobalId("ApiKey", principal.apiKeyId) : null, email: null };
  if (principal.via === "certificate") {
    return { type: ActorType.CERTIFICATE, id: principal.certificateId ? toGlobalId("Certificate", principal.certificateId) : null, email: null };
  }
  if (principal.via === "admin-secret") return { type: ActorType.ADMIN, id: "admin-secret", email: null };
  return { type: asAdmin ? ActorType.ADMIN : ActorType.USER, id: principal.userId, email: principal.email };
}
