import type { GraphQLSchema } from "graphql";
import type { ContainerType, NonEmptyArray } from "type-graphql";
import { buildResolverSchema } from "../graphql/schema";
import { NodeResolver } from "../graphql/node.resolver";
import { modules } from "./modules";

/** Every resolver of the API: each module's, and Query.node over them all; the running app supplies one instance of each (resolverContainer). */
export const apiResolverClasses: NonEmptyArray<Function> = [
  NodeResolver,
  ...modules.flatMap((module): readonly Function[] => module.resolverClasses ?? []),
];

/** For a schema that is printed, never executed: nothing is there to resolve with. */
const printOnly: ContainerType = {
  get: (cls: Function) => {
    throw new Error(`${cls.name} was asked for by a schema built only to be printed`);
  },
};

export function buildApiSchema(container: ContainerType = printOnly): Promise<GraphQLSchema> {
  return buildResolverSchema(apiResolverClasses, container);
}

/**
 * Hands TypeGraphQL the app's instances (resolvers and middlewares), one per class. Checked at
 * start-up, so a resolver left out of the wiring stops the start instead of failing its first request.
 */
export function resolverContainer(instances: object[]): ContainerType {
  const byClass = new Map<Function, object>(instances.map((instance) => [instance.constructor, instance]));
  const missing = apiResolverClasses.filter((cls) => !byClass.has(cls));
  if (missing.length) throw new Error(`No instance of ${missing.map((cls) => cls.name).join(", ")} was wired`);
  return { get: (cls: Function) => byClass.get(cls) };
}
