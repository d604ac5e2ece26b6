/**
 * What `npm ci` warns about, checked without installing: the Node versions package.json claims
 * are ones every locked dependency accepts (no EBADENGINE), and every install script is decided on.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import semver from "semver";

const ROOT = path.resolve(__dirname, "../..");
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
const claimed: string = manifest.engines.node;

describe("engines", () => {
  it("is a range this very Node satisfies", () => {
    expect(semver.satisfies(process.version, claimed)).toBe(true);
  });

  it("claims only versions that every package in the lock file accepts", () => {
    const narrower = Object.entries<any>(lock.packages)
      .filter(([location, entry]) => location !== "" && entry.engines?.node)
      .filter(([, entry]) => !semver.subset(claimed, entry.engines.node))
      .map(([location, entry]) => `${location}@${entry.version}: ${entry.engines.node}`);
    expect(narrower).toEqual([]);
  });

  it("would have been caught by the check above (Node 20 is outside @whatwg-node/promise-helpers 2.0's range)", () => {
    expect(semver.subset(claimed, ">=22.15.0")).toBe(false);
    expect(lock.packages["node_modules/@whatwg-node/promise-helpers"].version).toBe("1.3.2");
  });
});

describe("allowScripts", () => {
  it("decides on every dependency's install script, so npm warns about none", () => {
    const listed = execFileSync("npm", ["install-scripts", "ls"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
    expect(listed.trim()).toBe("No packages with unreviewed install scripts.");
    expect(manifest.allowScripts["better-sqlite3"]).toBe(true);
  });
});
