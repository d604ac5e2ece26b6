/**
 * Replays what errors and logs gave away: schema suggestions in production variable errors, a
 * 90 KB bad variable echoed twice, and SQL logged with its bound values.
 */
import { Writable } from "node:stream";
import { createLogger } from "../../src/shared/logger";
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

describe("variable errors in production", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { NODE_ENV: "production" } });
  });
  afterAll(async () => t?.close());

  it("suggest no names from the schema", async () => {
    const mistyped = await t.gql(`mutation($i: ClaimDomainInput!) { claimDomain(input: $i) { created } }`, { i: { name: "example.com", nam: "example.com" } });
    expect(mistyped.status).toBe(400);
    expect(mistyped.body.errors![0].message).toMatch(/"nam" is not defined by type "ClaimDomainInput"/);
    for (const error of mistyped.body.errors!) expect(error.message).not.toMatch(/Did you mean/);
  });

  it("echo at most a short piece of a long bad value", async () => {
    const huge = "x".repeat(90_000);
    const response = await t.gql(`query($n: Int) { domains(first: $n) { totalCount } }`, { n: huge });
    expect(response.status).toBe(400);
    const text = JSON.stringify(response.body);
    expect(text.length).toBeLessThan(2_000);
    expect(response.body.errors![0].message).toMatch(/^Variable "\$n" got invalid value "x{100}…" \(90000 characters\)/);
  });
});

/** The app's logger as production builds it (serializers included), writing into `lines`. */
function capturedLogs() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger("info", destination) };
}

describe.each(DATABASE_FLAVORS)("logs on %s", (db) => {
  it("carry SQL without its bound values", async () => {
    const { lines, logger } = capturedLogs();
    const t = await startTestApp({ db, overrides: { logger } });
    try {
      await t.app.dataSource.query("ALTER TABLE domains RENAME TO domains_gone");
      const name = "bound-value-in-sql.example.com";
      const response = await t.gql(`mutation($name: String!) { claimDomain(input: { name: $name }) { created } }`, { name });
      expect(response.body.errors![0].extensions!.code).toBe("INTERNAL_SERVER_ERROR");
      const logged = lines.join("");
      expect(logged).toMatch(/unexpected error/);
      expect(logged).toMatch(/domains/);
      expect(logged).not.toContain(name);
      expect(logged).not.toMatch(/"parameters"/);
    } finally {
      await t.app.dataSource.query("ALTER TABLE domains_gone RENAME TO domains").catch(() => {});
      await t.close();
    }
  });

  it("carry no value the database quotes in its own message (a duplicate entry names it)", async () => {
    const { lines, logger } = capturedLogs();
    const t = await startTestApp({ db, overrides: { logger } });
    try {
      // A unique index the code does not expect: the second account's claim of the name fails on its audit entry.
      await t.app.dataSource.query("CREATE UNIQUE INDEX UQ_test_audit_name ON audit_entries (domainName)");
      const name = "quoted-by-the-database.example.com";
      const claim = `mutation($name: String!) { claimDomain(input: { name: $name }) { created } }`;
      expect((await t.gql(claim, { name }, { token: await t.token("echo-first") })).body.data.claimDomain.created).toBe(true);
      const response = await t.gql(claim, { name }, { token: await t.token("echo-second") });
      expect(response.body.errors![0].extensions!.code).toBe("INTERNAL_SERVER_ERROR");
      const logged = lines.join("");
      expect(logged).toMatch(/unexpected error/);
      expect(logged).toMatch(db === "mariadb" ? /Duplicate entry '…' for key 'UQ_test_audit_name'/ : /UNIQUE constraint failed: audit_entries\.domainName/);
      expect(logged).not.toContain(name);
    } finally {
      await t.app.dataSource.query("DROP INDEX UQ_test_audit_name" + (db === "mariadb" ? " ON audit_entries" : "")).catch(() => {});
      await t.close();
    }
  });
});
