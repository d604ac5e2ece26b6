import "reflect-metadata";
import { GraphQLObjectType, graphql } from "graphql";
import { Arg, Ctx, Field, FieldResolver, MiddlewareFn, ObjectType, Query, Resolver, Root, UseMiddleware } from "type-graphql";
import { buildResolverSchema } from "./schema";

@ObjectType("DirectThing", { simpleResolvers: true })
class Thing {
  @Field(() => String)
  name!: string;

  @Field(() => String, { simple: true, nullable: true })
  get shout(): string {
    return this.name.toUpperCase();
  }
}

const calls: string[] = [];
const counting: MiddlewareFn = async (_, next) => {
  calls.push("middleware");
  return next();
};

@Resolver(() => Thing)
class ThingResolver {
  private readonly suffix = "!";

  @Query(() => [Thing])
  things(): Thing[] {
    // An instance, and a plain object that TypeGraphQL converts into one for @Root().
    return [Object.assign(new Thing(), { name: "one" }), { name: "two" } as Thing];
  }

  @FieldResolver(() => String)
  label(@Root() thing: Thing): string {
    return `${thing.name}${this.suffix}:${thing instanceof Thing}`;
  }

  @FieldResolver(() => String)
  withContext(@Root() thing: Thing, @Ctx() ctx: { who: string }): string {
    return `${thing.name}@${ctx.who}`;
  }

  @FieldResolver(() => String)
  @UseMiddleware(counting)
  guarded(@Root() thing: Thing): string {
    return thing.name;
  }

  @FieldResolver(() => String)
  repeated(@Root() thing: Thing, @Arg("times", () => Number) times: number): string {
    return thing.name.repeat(times);
  }
}

describe("callFieldResolversDirectly", () => {
  it("calls root/context-only resolvers directly, keeps the wrapper where TypeGraphQL does work, and reads simple getters inline", async () => {
    const resolver = new ThingResolver();
    const schema = await buildResolverSchema([ThingResolver], { get: (cls: Function) => (cls === ThingResolver ? resolver : undefined) });
    const fields = (schema.getType("DirectThing") as GraphQLObjectType).getFields();
    expect(fields.shout.resolve).toBeUndefined();
    expect(String(fields.label.resolve)).not.toContain("applyMiddlewares");
    expect(String(fields.guarded.resolve)).toContain("applyMiddlewares");
    expect(String(fields.repeated.resolve)).toContain("applyMiddlewares");

    const result = await graphql({
      schema,
      source: "{ things { name shout label withContext guarded repeated(times: 2) } }",
      contextValue: { who: "me" },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      things: [
        { name: "one", shout: "ONE", label: "one!:true", withContext: "one@me", guarded: "one", repeated: "oneone" },
        // The plain parent goes through TypeGraphQL's wrapper, which makes it an instance first;
        // a simple getter is read off the value as it is, so a plain object has none.
        { name: "two", shout: null, label: "two!:true", withContext: "two@me", guarded: "two", repeated: "twotwo" },
      ],
    });
    expect(calls).toEqual(["middleware", "middleware"]);
  });
});
