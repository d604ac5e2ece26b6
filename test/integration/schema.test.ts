import fs from "node:fs";
import path from "node:path";
import {
  GraphQLSchema,
  buildSchema,
  findBreakingChanges,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
} from "graphql";
import { SCHEMA_FILE, generateSchemaSdl } from "../../src/graphql/print-schema";

const CONTRACT_DIR = path.resolve(__dirname, "../../../shared/contract");
const CONTRACT_FILE = path.join(CONTRACT_DIR, "schema.graphql");
/** Proposals in ../shared/contract/proposed/ this server serves; each issue that lands one appends it here. */
const SERVED_PROPOSALS = ["events.graphql"];

/** The contract: schema.graphql with every served proposal's extensions applied. */
function contractSdl(): string {
  return [CONTRACT_FILE, ...SERVED_PROPOSALS.map((file) => path.join(CONTRACT_DIR, "proposed", file))]
    .map((file) => fs.readFileSync(file, "utf8"))
    .join("\n");
}

describe("schema.graphql", () => {
  let generated: string;
  beforeAll(async () => {
    generated = await generateSchemaSdl();
  });

  it("is the schema the server serves (regenerate with `npm run schema`)", () => {
    expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(generated);
  });

  it("breaks nothing in the API contract", () => {
    const contract = buildSchema(contractSdl());
    const changes = findBreakingChanges(contract, buildSchema(generated));
    expect(changes.map((c) => `${c.type}: ${c.description}`)).toEqual([]);
  });

  it("describes every type, field, argument and enum value", () => {
    expect(undescribed(buildSchema(generated))).toEqual([]);
  });
});

const ROOT_TYPES = ["Query", "Mutation", "Subscription"];

function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    // Root types carry no description in TypeGraphQL; their fields do.
    if (!type.description && !ROOT_TYPES.includes(type.name)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        const isRoot = ROOT_TYPES.includes(type.name);
        if (!field.description && !(isRoot && field.name === "__typename")) missing.push(`${type.name}.${field.name}`);
        for (const arg of "args" in field ? field.args : []) {
          if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
  }
  return missing;
}
