import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import { lexicographicSortSchema, printSchema } from "graphql";
import { buildApiSchema } from "./schema";

/** The SDL of the schema the server serves, sorted so diffs stay readable; built from the resolver classes alone. */
export async function generateSchemaSdl(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildApiSchema()))}\n`;
}

export const SCHEMA_FILE = path.resolve(__dirname, "../../schema.graphql");

if (require.main === module) {
  generateSchemaSdl()
    .then((sdl) => {
      fs.writeFileSync(SCHEMA_FILE, sdl);
      console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
