import type { AuthChecker } from "type-graphql";
import type { RequestContext } from "./context";

export const ADMIN_ROLE = "ADMIN";

/** `@Authorized(ADMIN_ROLE)` fields: admins only. TypeGraphQL's refusal is mapped to FORBIDDEN in formatError. */
export const authChecker: AuthChecker<RequestContext> = ({ context }, roles) => {
  if (!context.principal) return false;
  return roles.includes(ADMIN_ROLE) ? context.principal.isAdmin : true;
};
