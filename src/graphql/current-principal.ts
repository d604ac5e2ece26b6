import { createParameterDecorator } from "type-graphql";
import type { ActionContext, Principal } from "../shared/principal";
import { RequestContext, actionContext, principalOf } from "./context";

/** The signed-in caller, as a resolver parameter; anonymous requests are refused with UNAUTHENTICATED. */
export function CurrentPrincipal() {
  return createParameterDecorator<RequestContext>(({ context }): Principal => principalOf(context));
}

/** Who acts and in which request, for the mutations that audit what they change; UNAUTHENTICATED when anonymous. */
export function CurrentAction() {
  return createParameterDecorator<RequestContext>(({ context }): ActionContext => actionContext(context));
}
