import { connectionArgsType } from "./connection";
import { encodeCursor } from "../shared/pagination";

const Page = connectionArgsType(20, "Cursor to continue after");
const args = (values: { first?: number | null; after?: string | null }) => Object.assign(new Page(), values);

describe("connection arguments", () => {
  it("serves the declared default for an omitted or null first, and decodes after", () => {
    const position = { createdAt: new Date("2026-01-02T03:04:05.678Z"), id: "0b6f5c1e-8d0a-4c47-9d53-2f6f1b2a7c10" };
    expect(args({}).toPage()).toEqual({ first: 20, after: null });
    expect(args({ first: null, after: null }).toPage()).toEqual({ first: 20, after: null });
    expect(args({ first: 7, after: encodeCursor(position) }).toPage()).toEqual({ first: 7, after: position });
  });

  it.each([0, 101, -1])("refuses first: %d with BAD_USER_INPUT", (first) => {
    expect(() => args({ first }).toPage()).toThrow(expect.objectContaining({ extensions: { code: "BAD_USER_INPUT", argument: "first" } }));
  });

  it("refuses a cursor this API did not make", () => {
    expect(() => args({ after: "nope!" }).toPage()).toThrow(expect.objectContaining({ extensions: { code: "BAD_USER_INPUT", argument: "after" } }));
  });
});
