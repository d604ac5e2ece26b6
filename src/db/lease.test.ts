import { leaseOutlasting, worstCaseBatchMs } from "./lease";

describe("lease durations", () => {
  it("gives a batch its lookups' deadlines, a round of `concurrency` at a time, and a second each for the database", () => {
    expect(worstCaseBatchMs(100, 10, 3000)).toBe(10 * 4000);
    expect(worstCaseBatchMs(101, 10, 3000)).toBe(11 * 4000);
  });

  it("outlasts the worst case, `times` over, with room for the database", () => {
    expect(leaseOutlasting(10_000)).toBe(40_000);
    expect(leaseOutlasting(40_000, 2)).toBe(110_000);
  });
});
