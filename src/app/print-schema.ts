import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import { lexicographicSortSchema, printSchema } from "graphql";
import { loadConfig } from "../shared/config";
import { createApp } from ".";

/** The SDL of the schema the server actually serves, sorted so diffs stay readable. */
export async function generateSchemaSdl(): Promise<string> {
  const app = await createApp(
    loadConfig({
      NODE_ENV: "test",
      DATABASE_URL: "sqlite::memory:",
      JWT_SECRET: "schema-printer-secret-not-used-for-anything",
      SCHEDULER_ENABLED: "false",
    }),
    { logger: require("pino")({ level: "silent" }) },
  );
  try {
    return `${printSchema(lexicographicSortSchema(app.schema))}\n`;
  } finally {
    await app.close();
  }
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
