import type { FeatureModule } from "../graphql/feature-module";
import { accountsModule } from "../accounts/module";
import { auditModule } from "../audit/module";
import { domainsModule } from "../domains/module";
import { schedulerModule } from "../scheduler/module";
import { adminModule } from "../admin/module";
import { authModule } from "../auth/module";
import { apiKeysModule } from "../api-keys/module";
import { credentialsModule } from "../credentials/module";
import { eventsModule } from "../events/module";
import { webhooksModule } from "../webhooks/module";
import { perspectivesModule } from "../perspectives/module";

/**
 * Every feature of the service, in the order they are made: each receives what the ones before
 * it provide (the scheduler needs the domains' verification service, webhooks the event bus).
 * Adding a feature is one line here.
 */
export const modules = [
  auditModule,
  accountsModule,
  domainsModule,
  schedulerModule,
  adminModule,
  authModule,
  apiKeysModule,
  credentialsModule,
  eventsModule,
  webhooksModule,
  perspectivesModule,
] as const;

type ProvidesOf<M> = M extends FeatureModule<never, infer P> ? P : never;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** What all the modules provide together: every feature's services, by name. */
export type Provided = Intersection<ProvidesOf<(typeof modules)[number]>>;
