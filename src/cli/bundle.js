#!/usr/bin/env node
"use strict";
// The last step of `npm run build`: the compiled server (dist/src/main.js and everything it
// requires) as one file, dist/bundle/dnsproof.js, which `npm start` runs (src/cli/start.js).
// Node then resolves and reads one file instead of about 1,500 modules at every start.
// Packages with native code, or loaded only by name at run time, stay in node_modules.
const path = require("node:path");

const root = path.resolve(__dirname, "../..");

/** Native addons, and packages read from their own folders at run time (GraphiQL's UMD files). */
const EXTERNAL = [
  "better-sqlite3",
  "graphiql",
  "react",
  "react-dom",
  // TypeORM's other drivers: it names them all, dnsproof installs none of them.
  "pg",
  "pg-native",
  "pg-query-stream",
  "oracledb",
  "mssql",
  "mongodb",
  "sqlite3",
  "sql.js",
  "mysql",
  "redis",
  "typeorm-aurora-data-api-driver",
  "@sap/hana-client",
  "@sap/hana-client/extension/Stream",
  "hdb-pool",
  "react-native-sqlite-storage",
  "@google-cloud/spanner",
];

/**
 * @apollo/utils.createhash takes node:crypto only through `module.require`, which esbuild's
 * module wrapper does not have, so bundled it would hash every query with sha.js in plain
 * JavaScript. The bundle gets node:crypto, as unbundled Node does.
 */
const nodeCryptoHashes = {
  name: "apollo-createhash-node-crypto",
  setup(build) {
    build.onResolve({ filter: /^@apollo\/utils\.createhash$/ }, () => ({ path: "createhash", namespace: "dnsproof-node-crypto" }));
    build.onLoad({ filter: /.*/, namespace: "dnsproof-node-crypto" }, () => ({
      contents: 'exports.createHash = (kind) => require("node:crypto").createHash(kind);',
      loader: "js",
    }));
  },
};

async function bundle() {
  const esbuild = require("esbuild");
  await esbuild.build({
    entryPoints: [path.join(root, "dist", "src", "main.js")],
    outfile: path.join(root, "dist", "bundle", "dnsproof.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // TypeGraphQL and TypeORM read class names; esbuild would rename classes whose names collide.
    keepNames: true,
    external: EXTERNAL,
    plugins: [nodeCryptoHashes],
    logLevel: "warning",
    logOverride: { "require-resolve-not-external": "silent", "empty-import-meta": "silent" },
  });
}

module.exports = { bundle };

if (require.main === module) {
  bundle().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
