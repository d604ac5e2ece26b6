/** `npm test` in a clone without ../shared: the contract comparison is skipped, saying so, except in CI. */
import { spawnSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

function runSchemaTest(env: Record<string, string>) {
  const { CI: _ci, ...inherited } = process.env;
  return spawnSync(process.execPath, [require.resolve("jest/bin/jest"), "--ci=false", "test/integration/schema.test.ts"], {
    cwd: ROOT,
    env: { ...inherited, TEST_CONTRACT_DIR: path.join(ROOT, "no-such-shared", "contract"), ...env },
    encoding: "utf8",
  });
}

describe("the schema test without ../shared", () => {
  it("skips the contract comparison outside CI, with a message naming what is missing", () => {
    const run = runSchemaTest({});
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).toContain("Skipped the API contract comparison");
    // The contract comparison and the check of the DNSSEC part of proposed/assurance.graphql.
    expect(run.stdout + run.stderr).toMatch(/2 skipped/);
  }, 60_000);

  it("fails in CI, where the contract is required", () => {
    const run = runSchemaTest({ CI: "true" });
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toContain("ENOENT");
  }, 60_000);
});
