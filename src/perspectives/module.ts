import { defineModule } from "../graphql/feature-module";
import { CheckPerspectivesResolver } from "./perspectives.resolver";

/**
 * Remote perspectives' evidence on every check. The corroborating verifier itself is made by the
 * composition root with the other verifiers (create.ts), before any module.
 */
export const perspectivesModule = defineModule({
  name: "perspectives",
  resolverClasses: [CheckPerspectivesResolver],
  create: () => ({ provides: {}, resolvers: [new CheckPerspectivesResolver()] }),
});
