#!/usr/bin/env node
"use strict";
// `npm start` runs this first. In a checkout with dev dependencies it compiles and bundles, so
// `npm install && npm start` always serves the current sources. In production (NODE_ENV=production, or no TypeScript
// installed) it never compiles: it serves the dist/ that `npm run build` made before
// `npm prune --omit=dev`, or says what is missing. (The prune keeps TypeScript: typeorm names ts-node
// as an optional peer, so npm counts both as more than dev dependencies.)
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
let tsc = null;
if (process.env.NODE_ENV !== "production") {
  try {
    tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
  } catch {
    // A production install.
  }
}
if (tsc) {
  const build = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
  require("./bundle")
    .bundle()
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
  return;
}
if (!fs.existsSync(path.join(root, "dist", "src", "main.js"))) {
  process.stderr.write("dnsproof: dist/ is missing (it is not built in production or without TypeScript); run `npm run build` (before `npm prune --omit=dev`).\n");
  process.exit(1);
}
