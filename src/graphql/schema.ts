import { GraphQLSchema } from "graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { buildSchema, NonEmptyArray } from "type-graphql";
import { authChecker } from "./auth-checker";

/**
 * Resolver and middleware instances made by the composition root, so each gets its services
 * through its constructor; TypeGraphQL asks the container for both.
 */
export async function buildApiSchema(resolvers: object[], middlewares: object[] = []): Promise<GraphQLSchema> {
  const byClass = new Map<Function, object>([...resolvers, ...middlewares].map((r) => [r.constructor, r]));
  return buildSchema({
    resolvers: resolvers.map((r) => r.constructor) as unknown as NonEmptyArray<Function>,
    container: { get: (cls: Function) => byClass.get(cls) },
    authChecker,
    // The contract names the scalar DateTime; TypeGraphQL 2 would otherwise emit DateTimeISO.
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    // Subscriptions bring their own streams (src/events); TypeGraphQL insists on a pub/sub all the same.
    pubSub: { publish: () => undefined, subscribe: () => { throw new Error("subscriptions bring their own streams"); } },
    validate: false,
    emitSchemaFile: false,
  });
}
