import { ApolloServer, ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import type { GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import type { Config } from "../shared/config";
import type { Metrics } from "./metrics";
import type { RequestContext } from "../graphql/context";
import { depthLimitRule } from "../graphql/depth-limit";
import { createFormatError } from "../graphql/format-error";
import { requestLifecyclePlugin } from "../graphql/plugins/request-lifecycle";
import { jitGateway } from "../graphql/jit-executor";

export interface GraphqlServerOptions {
  schema: GraphQLSchema;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Counts each operation against its quota; runs after the lifecycle plugin. */
  rateLimitPlugin: ApolloServerPlugin<RequestContext>;
  /** Whether a JWT secret is configured, so an anonymous caller can be told how to mint a token. */
  canMintTokens: boolean;
}

/** The Apollo server for /graphql, started; the HTTP server mounts it. */
export async function startGraphqlServer(options: GraphqlServerOptions): Promise<ApolloServer<RequestContext>> {
  const { schema, config, logger, metrics } = options;
  const apollo = new ApolloServer<RequestContext>({
    // The schema comes through the gateway, which swaps graphql-js's execute for compiled queries.
    gateway: jitGateway(schema),
    // Shutdown is app.close()'s alone: Apollo's own signal handlers raced it and, on MariaDB,
    // left the process hanging (a second apollo.stop() waits on a barrier that never opens).
    stopOnTerminationSignals: false,
    introspection: config.graphql.introspection,
    csrfPrevention: true,
    // Batches are capped by batchLimit in the HTTP server, before Apollo sees them.
    allowBatchedHttpRequests: true,
    validationRules: [depthLimitRule(config.graphql.maxDepth)],
    // The HTTP server's queryLimits refuses long documents first; this holds for whatever reaches Apollo another way.
    parseOptions: { maxTokens: config.graphql.maxTokens },
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.env === "production",
    formatError: createFormatError(logger, { hideSuggestions: config.env === "production" }),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      // In production tokens come from the operator's own tooling; a newcomer elsewhere is told the command.
      requestLifecyclePlugin(metrics, { signInHint: config.env !== "production" && options.canMintTokens }),
      // After the lifecycle plugin, which refuses anonymous callers before anything is counted.
      options.rateLimitPlugin,
    ],
    // A stored query would reach execution without passing the HTTP server's queryLimits, which reads the query text.
    persistedQueries: false,
  });
  await apollo.start();
  return apollo;
}
