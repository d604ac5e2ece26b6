import { badUserInput, notFound } from "../shared/errors";
import type { Refused } from "./payload";

/** Node types that have global ids; the prefix inside the opaque id. */
export type NodeTypeName = "Domain" | "AuditEntry" | "ApiKey" | "Certificate" | "WebhookEndpoint" | "WebhookDelivery";
const NODE_TYPES: readonly string[] = ["Domain", "AuditEntry", "ApiKey", "Certificate", "WebhookEndpoint", "WebhookDelivery"];

export function toGlobalId(type: NodeTypeName, localId: string): string {
  return Buffer.from(`${type}:${localId}`, "utf8").toString("base64url");
}

/**
 * Decodes an opaque id. A malformed id is the caller's mistake (BAD_USER_INPUT);
 * a well-formed id of another type or another account is simply "not found" to callers.
 */
export function fromGlobalId(globalId: string, argument = "id"): { type: NodeTypeName; localId: string } {
  const decoded = /^[A-Za-z0-9_-]{1,200}$/.test(globalId) ? Buffer.from(globalId, "base64url").toString("utf8") : "";
  const separator = decoded.indexOf(":");
  const type = decoded.slice(0, separator);
  const localId = decoded.slice(separator + 1);
  if (separator < 1 || !NODE_TYPES.includes(type) || !/^[0-9a-f-]{36}$/.test(localId)) {
    throw badUserInput(`"${truncate(globalId)}" is not a dnsproof id; use the id field of a Domain or other node.`, argument);
  }
  return { type: type as NodeTypeName, localId };
}

/** The local id when `globalId` names a node of `type`, else null (the caller answers NOT_FOUND). */
export function localIdOf(globalId: string, type: NodeTypeName, argument = "id"): string | null {
  const decoded = fromGlobalId(globalId, argument);
  return decoded.type === type ? decoded.localId : null;
}

/** How a "No such …" user error names a node of each type. */
const NOUNS: Record<NodeTypeName, string> = {
  Domain: "domain",
  AuditEntry: "audit entry",
  ApiKey: "API key",
  Certificate: "certificate",
  WebhookEndpoint: "webhook endpoint",
  WebhookDelivery: "webhook delivery",
};

/**
 * Runs `use` with the local id of a mutation input's global id (at `field`, e.g. ["input", "id"]).
 * An id of another type names nothing of this one, so it gets the NOT_FOUND user error an unknown
 * id gets; a string that is no id at all is refused (BAD_USER_INPUT, naming the field). A null id
 * is an optional input left out, and reaches `use` as null.
 */
export async function withLocalId<Id extends string | null, R>(
  globalId: Id,
  type: NodeTypeName,
  field: string[],
  use: (localId: Id) => Promise<R>,
): Promise<R | Refused> {
  if (globalId === null) return use(globalId);
  const localId = localIdOf(globalId, type, field.join("."));
  return localId ? use(localId as Id) : { ok: false, error: notFound(NOUNS[type], field) };
}

function truncate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
