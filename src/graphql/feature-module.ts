import type { Router } from "express";
import type { Principal } from "../shared/principal";
import type { RequestLoaders } from "./context";
import type { NodeFetcher } from "./node.resolver";

/**
 * Something a feature runs in the background (the scheduler, the webhook delivery worker, the
 * CRL refresh, the event bus). The server starts the enabled ones; the CLI never starts any.
 */
export interface BackgroundWorker {
  name: string;
  /** Whether the server starts it (its setting); a worker that is off can still be stopped. */
  enabled: boolean;
  start(): void;
  /** Stops it, waiting for the work in hand. */
  stop(): Promise<unknown>;
  /**
   * When it stops: "requests" while HTTP requests drain (its work writes to the database as
   * theirs does), "after-requests" once they have drained, before the database closes.
   * Within a phase, a later module's workers stop first: they may use an earlier module's.
   */
  stopsWith: "requests" | "after-requests";
}

/**
 * Hooks whose types belong to a feature, added beside that feature with
 * `declare module "../graphql/feature-module" { interface FeatureHooks { … } }` (the audit
 * log's listeners, authentication strategies), so this file knows no feature.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface FeatureHooks {}

/** What a feature adds to the service once it is made: all optional but what it provides. */
export interface FeatureParts<Provides> extends FeatureHooks {
  /** Services (and stores other features build on), merged into what later modules receive. */
  provides: Provides;
  /** One instance of each of the module's resolver classes. */
  resolvers?: object[];
  /** Query.node lookups for the types this feature owns, by type name. */
  nodeFetchers?: Record<string, NodeFetcher>;
  /** This feature's per-request loaders, made fresh for every request. */
  loaders?: (principal: Principal | null, batch: boolean) => Partial<RequestLoaders>;
  workers?: BackgroundWorker[];
  /** HTTP routes beside the API; loaded by a server only, so the CLI never loads Express. */
  routes?: () => Promise<Router>;
}

/**
 * One feature, registered once: the composition root lists modules and loops over them, in
 * order, each receiving the shared dependencies and what the modules before it provided.
 */
export interface FeatureModule<Deps, Provides> {
  name: string;
  /** The tables it maps; the data source opens with every module's. */
  entities?: Function[];
  /** Its resolver classes, known without a database: the printed schema is built from them. */
  resolverClasses?: Function[];
  create(deps: Deps): FeatureParts<Provides> | Promise<FeatureParts<Provides>>;
}

/** Types a module (checks its factory against its declared dependencies) and returns it as is. */
export function defineModule<Deps, Provides>(module: FeatureModule<Deps, Provides>): FeatureModule<Deps, Provides> {
  return module;
}
