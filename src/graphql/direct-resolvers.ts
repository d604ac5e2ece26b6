import { GraphQLFieldResolver, GraphQLObjectType, GraphQLSchema } from "graphql";
import { ContainerType, getMetadataStorage } from "type-graphql";

/** What TypeGraphQL records of a field resolver once a schema is built (not in its public types). */
interface FieldResolverMetadata {
  kind: "internal" | "external";
  target: Function;
  methodName: string;
  schemaName: string;
  getObjectType?: () => Function;
  params?: ParamMetadata[];
  middlewares?: unknown[];
  roles?: unknown[];
}

interface ParamMetadata {
  kind: string;
  index: number;
  propertyName?: string;
  getType?: () => unknown;
}

type Param = (root: unknown, context: unknown, info: unknown) => unknown;

/**
 * Field resolvers of resolver classes (`@FieldResolver` methods) that take only the parent
 * (`@Root()`), the context (`@Ctx()`) or the info, and have no middleware and no @Authorized,
 * called directly instead of through TypeGraphQL's wrapper. The wrapper builds a resolver-data
 * object, asks the container for the instance, runs the (empty) middleware chain and sorts and
 * maps the parameters on every call: on the frontends' read of 50 domains that is some 1,200
 * calls a request (Domain.id, status, verified, txtRecord; AuditEntry.id, actor) for what is a
 * method call. The direct resolver passes the same values: a parent that TypeGraphQL would
 * convert to the declared @Root type (one that is not an instance of it already) still goes
 * through the wrapper, as does every field with arguments, middlewares or roles.
 *
 * The schema must have been built without global middlewares (they apply to every field) and
 * with a container that hands out one instance per class (resolverContainer): the instance is
 * asked for once, at the field's first call.
 */
export function callFieldResolversDirectly(schema: GraphQLSchema, resolverClasses: readonly Function[], container: ContainerType): number {
  const storage = getMetadataStorage() as unknown as {
    fieldResolvers: FieldResolverMetadata[];
    objectTypes: { name: string; target: Function }[];
    fields: { target: Function; name: string; simple?: boolean }[];
  };
  let replaced = 0;
  for (const objectType of storage.objectTypes) {
    const type = schema.getType(objectType.name);
    if (!(type instanceof GraphQLObjectType)) continue;
    const fields = type.getFields();
    for (const [name, field] of Object.entries(fields)) {
      // The one TypeGraphQL chose for this field: the first of the schema's classes that resolves it.
      const metadata = storage.fieldResolvers.find(
        (it) => (it.kind === "internal" || resolverClasses.includes(it.target)) && it.getObjectType?.() === objectType.target && it.schemaName === name,
      );
      if (!metadata || !field.resolve) continue;
      if (metadata.kind === "internal") {
        if (readInline(metadata, storage.fields)) {
          field.resolve = undefined;
          replaced++;
        }
        continue;
      }
      const direct = directResolver(metadata, field.resolve, container);
      if (direct) {
        field.resolve = direct;
        replaced++;
      }
    }
  }
  return replaced;
}

/**
 * A getter of the object type's class declared `@Field(..., { simple: true })`: TypeGraphQL still
 * wraps getters (it takes them for resolver methods, before it looks at `simple`), so the field
 * loses its resolver here and graphql-jit reads the property inline, which runs the getter. Unlike
 * the wrapper, this does not first copy a parent that is not an instance of the class into one:
 * such a getter is for types whose values are always instances (entities read by the stores).
 */
function readInline(metadata: FieldResolverMetadata, fields: { target: Function; name: string; simple?: boolean }[]): boolean {
  const declared = fields.find((field) => field.target === metadata.target && field.name === metadata.methodName);
  if (declared?.simple !== true || metadata.middlewares?.length || metadata.roles !== undefined || metadata.params?.length) return false;
  return typeof Object.getOwnPropertyDescriptor(metadata.target.prototype, metadata.methodName)?.get === "function";
}

function directResolver(metadata: FieldResolverMetadata, wrapped: GraphQLFieldResolver<unknown, unknown>, container: ContainerType): GraphQLFieldResolver<unknown, unknown> | null {
  if (metadata.middlewares?.length || metadata.roles !== undefined || !metadata.params) return null;
  const params = [...metadata.params].sort((a, b) => a.index - b.index);
  if (params.some((param, i) => param.index !== i || param.propertyName !== undefined || !["root", "context", "info"].includes(param.kind))) return null;
  const rootParam = params.find((param) => param.kind === "root");
  const { target, methodName } = metadata;
  let instance: Record<string, (...args: unknown[]) => unknown> | undefined;
  let rootType: unknown;
  const method = () => {
    if (!instance) {
      instance = container.get(target, undefined as never) as typeof instance;
      if (!instance || typeof instance[methodName] !== "function") throw new Error(`${target.name}.${methodName} is not a method of what the container gave`);
      rootType = rootParam?.getType?.();
    }
    return instance;
  };
  // A parent TypeGraphQL would hand over as it is: null, or an instance of the declared type (Object included).
  const asIs = (root: unknown) => rootType === undefined || root == null || (typeof rootType === "function" && root instanceof rootType);
  const values: Param[] = params.map((param) => (param.kind === "root" ? (root) => root : param.kind === "context" ? (_, context) => context : (_, __, info) => info));
  if (params.length === 1 && params[0].kind === "root") {
    return (root, args, context, info) => {
      const resolver = method();
      return asIs(root) ? resolver[methodName](root) : wrapped(root, args, context, info);
    };
  }
  return (root, args, context, info) => {
    const resolver = method();
    if (!asIs(root)) return wrapped(root, args, context, info);
    return resolver[methodName](...values.map((value) => value(root, context, info)));
  };
}
