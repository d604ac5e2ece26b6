import { withoutBoundValues, withoutQuotedValues } from "./logger";

describe("database messages in logs", () => {
  it("keep the names MySQL quotes and lose the values", () => {
    expect(withoutQuotedValues("Duplicate entry 'alice@example.com-k3y' for key 'UQ_api_keys_hash'")).toBe("Duplicate entry '…' for key 'UQ_api_keys_hash'");
    expect(withoutQuotedValues("Incorrect datetime value: '2026-13-01' for column `createdAt` at row 1")).toBe("Incorrect datetime value: '…' for column `createdAt` at row 1");
    expect(withoutQuotedValues("Unknown column 'secret' in 'field list'")).toBe("Unknown column 'secret' in 'field list'");
    expect(withoutQuotedValues("Table 'dnsproof.domains' doesn't exist")).toBe("Table 'dnsproof.domains' doesn't exist");
    // A value with a quote inside it, as MySQL escapes it, goes as a whole.
    expect(withoutQuotedValues("Duplicate entry 'o\\'brien' for key 'UQ_x'")).toBe("Duplicate entry '…' for key 'UQ_x'");
  });

  it("are scrubbed in a database error and its driver error, and in nothing else", () => {
    const driverError = Object.assign(new Error("Duplicate entry 'alice@example.com' for key 'UQ_email'"), {
      code: "ER_DUP_ENTRY",
      sqlState: "23000",
      sqlMessage: "Duplicate entry 'alice@example.com' for key 'UQ_email'",
      sql: "INSERT INTO t VALUES ('alice@example.com')",
    });
    const failed = Object.assign(new Error(driverError.message), { name: "QueryFailedError", driverError, query: "INSERT INTO t VALUES (?)", parameters: ["alice@example.com"] });
    const logged = JSON.stringify(withoutBoundValues(failed));
    expect(logged).not.toContain("alice@example.com");
    expect(logged).toContain("UQ_email");
    expect(logged).toContain("INSERT INTO t VALUES (?)");
    expect(JSON.stringify(withoutBoundValues(new Error("the user typed 'hello'")))).toContain("'hello'");
  });
});
