#!/usr/bin/env node
"use strict";
// The operators' command line (`npx dnsproof <command>`). In a checkout it runs the TypeScript
// sources, so it works right after `npm install` and is never older than them; in production
// (NODE_ENV=production) or without ts-node it runs the compiled dist/ instead.
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
const source = path.join(root, "src", "cli", "main.ts");
let entry = path.join(root, "dist", "src", "cli", "main.js");
if (fs.existsSync(source) && process.env.NODE_ENV !== "production") {
  let tsNode = null;
  try {
    tsNode = require.resolve("ts-node", { paths: [root] });
  } catch {
    // Not installed: a production install; dist/ it is.
  }
  if (tsNode) {
    require(tsNode).register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
    entry = source;
  }
}
if (!fs.existsSync(entry)) {
  process.stderr.write("dnsproof: neither ts-node nor a build (dist/) is available; run `npm install` or `npm run build`.\n");
  process.exit(1);
}

require(entry)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error) => {
    process.stderr.write(`dnsproof: ${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  });
