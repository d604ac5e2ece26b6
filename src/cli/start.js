#!/usr/bin/env node
"use strict";
// What `npm start` runs: the bundled server (dist/bundle/dnsproof.js, made by `npm run build`),
// compiled with V8's code cache beside it, so a start skips compiling what the last one compiled.
// Without a bundle (a plain `tsc` build) it runs dist/src/main.js. The cache is an optimisation
// only: a missing, stale (another build, another Node) or unwritable one just means compiling.
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const Module = require("node:module");
const v8 = require("node:v8");

// V8 lets the old generation grow to about four times what survived the last full collection
// before collecting it again, when collections take little of the time: the sweep, whose
// checks live long enough to be promoted, took RSS from 175 to 315 MB that way, almost all of it
// garbage (56 MB survived). Half as much growth again keeps it near 200 MB at the same CPU per
// check. A --heap-growing-percent given on the command line wins.
if (!process.execArgv.some((arg) => arg.startsWith("--heap-growing-percent"))) v8.setFlagsFromString("--heap-growing-percent=50");

const root = path.resolve(__dirname, "../..");
const bundle = path.join(root, "dist", "bundle", "dnsproof.js");
/** Written after the server has run a while, so it holds every function the start compiled, not just the top level. */
const CACHE_AFTER_MS = 10_000;

if (!fs.existsSync(bundle)) {
  require(path.join(root, "dist", "src", "main.js"));
} else {
  const cacheFile = `${bundle}.${process.version}.cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // No cache yet: this start makes one.
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, "utf8")), { filename: bundle, cachedData });
  const module_ = new Module(bundle, null);
  module_.filename = bundle;
  module_.paths = Module._nodeModulePaths(path.dirname(bundle));
  if (!cachedData || script.cachedDataRejected) {
    let written = false;
    const writeCache = () => {
      if (written) return;
      written = true;
      try {
        fs.writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
        fs.renameSync(`${cacheFile}.tmp`, cacheFile);
      } catch {
        // A read-only install: every start compiles, as it would without the cache.
      }
    };
    setTimeout(writeCache, CACHE_AFTER_MS).unref();
    process.once("exit", writeCache);
  }
  script.runInThisContext().call(module_.exports, module_.exports, Module.createRequire(bundle), module_, bundle, path.dirname(bundle));
}
