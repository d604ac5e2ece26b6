import { GraphQLSchema } from "graphql";
import { buildSchema, ContainerType, NonEmptyArray } from "type-graphql";
import { authChecker } from "./auth-checker";
import { DateTimeScalar } from "./date-time.scalar";
import { callFieldResolversDirectly } from "./direct-resolvers";

/**
 * The schema of these resolver classes. TypeGraphQL reads only their decorators to build it;
 * the container is asked for instances (resolvers and middlewares) when a field first resolves.
 */
export async function buildResolverSchema(resolverClasses: NonEmptyArray<Function>, container: ContainerType): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: resolverClasses,
    container,
    authChecker,
    // The contract names the scalar DateTime; TypeGraphQL 2 would otherwise emit DateTimeISO.
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // Subscriptions bring their own streams (src/events); TypeGraphQL insists on a pub/sub all the same.
    pubSub: { publish: () => undefined, subscribe: () => { throw new Error("subscriptions bring their own streams"); } },
    validate: false,
    emitSchemaFile: false,
    // No globalMiddlewares: callFieldResolversDirectly relies on every field's middlewares being its own.
  });
  callFieldResolversDirectly(schema, resolverClasses, container);
  return schema;
}
