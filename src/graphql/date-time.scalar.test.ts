import { GraphQLDateTime } from "graphql-scalars";
import { DateTimeScalar } from "./date-time.scalar";

describe("DateTimeScalar", () => {
  it("keeps the contract's name and parsing", () => {
    expect(DateTimeScalar.name).toBe("DateTime");
    expect(DateTimeScalar.parseValue("2026-12-06T03:00:00.000Z")).toEqual(GraphQLDateTime.parseValue("2026-12-06T03:00:00.000Z"));
  });

  it("writes the bytes JSON.stringify wrote for the Date, as a string", () => {
    for (const value of [new Date("2026-12-06T03:00:00.123Z"), "2026-12-06T04:00:00+01:00", Date.UTC(2026, 0, 1)]) {
      const serialized = DateTimeScalar.serialize(value);
      expect(typeof serialized).toBe("string");
      expect(JSON.stringify(serialized)).toBe(JSON.stringify(GraphQLDateTime.serialize(value)));
    }
  });

  it("refuses what the library refuses", () => {
    expect(() => DateTimeScalar.serialize(new Date(Number.NaN))).toThrow(/invalid Date/);
    expect(() => DateTimeScalar.serialize({})).toThrow(/DateTime cannot be serialized/);
  });
});
