/**
 * The layering of src/ (README, "Architecture"), checked by test/integration/layers.test.ts.
 * Leaves know no feature; features import leaves, the audit log and each other without a
 * cycle; only the composition root (app/, cli/, main.ts) wires features together. Testing
 * modules are imported by tests alone (tests are not cruised: they may import anything).
 */
const LEAVES = "^src/(shared|graphql|db|verification|types)/";
const FEATURES = "^src/(accounts|domains|audit|auth|api-keys|scheduler|admin|credentials|events|webhooks)/";
const ROOT = "^src/(app/|cli/|main\\.ts$)";
/** Test doubles and fixtures kept beside the code they stand in for: `testing/` folders, and `testing.ts` files. */
const TESTING = "^src/(testing/|testing\\.ts$|.*/testing(/|\\.ts$))";

module.exports = {
  forbidden: [
    {
      name: "leaves-know-no-feature",
      comment: "shared/, graphql/, db/ and verification/ are what features build on; they import no feature and not the root.",
      severity: "error",
      from: { path: LEAVES },
      to: { path: [FEATURES, ROOT] },
    },
    {
      name: "audit-knows-no-feature",
      comment: "Every feature records audit entries, so the audit log imports no feature (fields it adds to others' types get the type passed in).",
      severity: "error",
      from: { path: "^src/audit/" },
      to: { path: FEATURES, pathNot: "^src/audit/" },
    },
    {
      name: "features-do-not-import-the-root",
      comment: "The composition root imports features, never the other way round.",
      severity: "error",
      from: { path: [LEAVES, FEATURES] },
      to: { path: ROOT },
    },
    {
      name: "testing-only-from-tests",
      comment: "Fakes and scripted doubles are for tests (*.test.ts, test/) and other testing modules; production code that reached one would run on a fake.",
      severity: "error",
      from: { path: "^src/", pathNot: [TESTING, "\\.test\\.ts$"] },
      to: { path: TESTING },
    },
    {
      name: "no-circular",
      comment: "No module imports itself through others.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
