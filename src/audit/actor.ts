import type { Principal } from "../shared/principal";
import { Actor, ActorType } from "./audit.types";

/** The actor an action by `principal` is audited as; admin-only operations are audited as ADMIN. */
export function actorOf(principal: Principal, asAdmin = false): Actor {
  if (principal.via === "api-key") return { type: ActorType.API_KEY, id: principal.apiKeyId ?? null, email: null };
  if (principal.via === "certificate") return { type: ActorType.CERTIFICATE, id: principal.certificateId ?? null, email: null };
  if (principal.via === "admin-secret") return { type: ActorType.ADMIN, id: "admin-secret", email: null };
  return { type: asAdmin ? ActorType.ADMIN : ActorType.USER, id: principal.userId, email: principal.email };
}
