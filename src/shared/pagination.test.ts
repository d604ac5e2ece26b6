import { checkPageSize, decodeCursor, encodeCursor, toConnection } from "./pagination";
import { fromGlobalId, localIdOf, toGlobalId } from "../graphql/global-id";

const ID = "0192f0e8-1111-7000-8000-000000000001";

describe("cursors", () => {
  it("round-trips a position", () => {
    const position = { createdAt: new Date("2026-11-22T10:00:00.123Z"), id: ID };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each(["", "not a cursor", "eyJ9", Buffer.from('["x","y"]').toString("base64url"), Buffer.from("[1,2]").toString("base64url")])(
    "refuses the malformed cursor %j with BAD_USER_INPUT",
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: "BAD_USER_INPUT" }) }));
    },
  );

  it("builds pages with hasNextPage from the extra row", () => {
    const rows = [0, 1, 2].map((i) => ({ createdAt: new Date(1000 - i), id: ID.replace(/1$/, String(i)) }));
    const page = toConnection(rows, { first: 2, after: null }, 3);
    expect(page.nodes).toHaveLength(2);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(page.pageInfo.endCursor).toBe(page.edges[1].cursor);
    expect(toConnection([], { first: 2, after: null }, 0).pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
  });

  it.each([0, -1, 101, 1.5])("refuses first = %p", (first) => {
    expect(() => checkPageSize(first, 20)).toThrow(/"first" must be from 1 to 100/);
  });
  it("accepts 1 and 100 and defaults when null", () => {
    expect(checkPageSize(1, 20)).toBe(1);
    expect(checkPageSize(100, 20)).toBe(100);
    expect(checkPageSize(null, 20)).toBe(20);
  });
});

describe("global ids", () => {
  it("round-trips and tells types apart", () => {
    const id = toGlobalId("Domain", ID);
    expect(fromGlobalId(id)).toEqual({ type: "Domain", localId: ID });
    expect(localIdOf(id, "Domain")).toBe(ID);
    expect(localIdOf(toGlobalId("AuditEntry", ID), "Domain")).toBeNull();
  });
  it.each(["", "abc", "Domain:123", Buffer.from("Nope:" + ID).toString("base64url"), Buffer.from("Domain:1").toString("base64url")])(
    "refuses %j with BAD_USER_INPUT",
    (id) => {
      expect(() => fromGlobalId(id)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: "BAD_USER_INPUT" }) }));
    },
  );
});
