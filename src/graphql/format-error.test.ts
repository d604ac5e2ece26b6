import pino from "pino";
import { createFormatError } from "./format-error";
import { ConflictPersisted } from "../db/retry-policy";

const formatError = createFormatError(pino({ level: "silent" }));
const formatted = { message: "raw", path: ["claimDomain"] };

describe("formatError for an unavailable database", () => {
  it("turns a write conflict that outlasted every retry into SERVICE_UNAVAILABLE with a retry hint", () => {
    const deadlock = Object.assign(new Error("Deadlock found when trying to get lock"), { code: "ER_LOCK_DEADLOCK", errno: 1213 });
    const result = formatError(formatted, new ConflictPersisted(6, 1, deadlock));
    expect(result.extensions).toEqual({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 1 });
    expect(result.message).toMatch(/try again in 1 s/);
    expect(result.message).not.toMatch(/Deadlock/);
  });

  it("counts a Galera node that is not ready (1047) as unavailable, not as an internal error", () => {
    const notReady = Object.assign(new Error("WSREP has not yet prepared node for application use"), { code: "ER_UNKNOWN_COM_ERROR", errno: 1047 });
    expect(formatError(formatted, notReady).extensions).toEqual({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 1 });
  });

  it("leaves any other failure an internal error", () => {
    expect(formatError(formatted, new Error("boom")).extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
  });
});
