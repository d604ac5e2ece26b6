import { MAX_VALUE_LENGTH, keptValue, keptValues } from "./evidence";

describe("the evidence a check keeps", () => {
  it("keeps short values as they are", () => {
    expect(keptValues(["a", "b"])).toEqual(["a", "b"]);
  });

  it("cuts a long value to 512 characters and says how long it was", () => {
    const kept = keptValue("x".repeat(14_000));
    expect(kept).toHaveLength(MAX_VALUE_LENGTH);
    expect(kept.endsWith("… [cut: 14000 characters]")).toBe(true);
  });

  it("keeps at most 10 values, dnsproof's own first, and says how many were dropped", () => {
    const values = [...Array.from({ length: 40 }, (_, i) => `v=spf${i}`), "dnsproof-verification=abc"];
    const kept = keptValues(values);
    expect(kept).toHaveLength(10);
    expect(kept[0]).toBe("dnsproof-verification=abc");
    expect(kept[9]).toBe("… [cut: 32 more values not kept]");
  });
});
