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
/** Proposed extensions the server serves; each is checked as schema.graphql plus that file. Append yours. */
const SERVED_PROPOSALS = ["credentials.graphql"];

describe("schema.graphql", () => {
  let generated: string;
  beforeAll(async () => {
    generated = await generateSchemaSdl();
  });

  it("is the schema the server serves (regenerate with `npm run schema`)", () => {
    expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(generated);
  });

  it("breaks nothing in the API contract", () => {
    const contract = buildSchema(fs.readFileSync(CONTRACT_FILE, "utf8"));
    const changes = findBreakingChanges(contract, buildSchema(generated));
    expect(changes.map((c) => `${c.type}: ${c.description}`)).toEqual([]);
  });

  it.each(SERVED_PROPOSALS)("breaks nothing in the proposed contract %s", (file) => {
    const contract = buildSchema(fs.readFileSync(CONTRACT_FILE, "utf8") + "\n" + fs.readFileSync(path.join(CONTRACT_DIR, "proposed", file), "utf8"));
    const changes = findBreakingChanges(contract, buildSchema(generated));
    expect(changes.map((c) => `${c.type}: ${c.description}`)).toEqual([]);
  });

  it("describes every type, field, argument and enum value", () => {
    expect(undescribed(buildSchema(generated))).toEqual([]);
  });
});

function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    // Root types carry no description in TypeGraphQL; their fields do.
    if (!type.description && !["Query", "Mutation"].includes(type.name)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        const isRoot = ["Query", "Mutation"].includes(type.name);
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
