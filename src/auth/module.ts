import { defineModule } from "../graphql/feature-module";
import { ViewerResolver } from "./viewer.resolver";

/**
 * Who is asking. The authenticator itself is request plumbing, made by the composition root
 * with the strategies other modules add (bearerStrategies, certificateStrategy).
 */
export const authModule = defineModule({
  name: "auth",
  resolverClasses: [ViewerResolver],
  create: () => ({ provides: {}, resolvers: [new ViewerResolver()] }),
});
