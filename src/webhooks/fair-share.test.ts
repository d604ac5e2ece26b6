import { DueGroup, InFlight, RoundRobin, planTakes } from "./fair-share";

const limits = { concurrency: 10, perAccount: 5, perEndpoint: 2 };
const never = () => 0;
const group = (accountId: string, endpointId: string, due: number): DueGroup => ({ accountId, endpointId, due });
const byEndpoint = (takes: { endpointId: string; count: number }[]) => Object.fromEntries(takes.map((t) => [t.endpointId, t.count]));

/** An InFlight holding `attempts` that never end (until the test is over). */
function busy(attempts: [string, string][]): InFlight {
  const inFlight = new InFlight();
  for (const [accountId, endpointId] of attempts) inFlight.run({ accountId, endpointId }, () => new Promise(() => undefined));
  return inFlight;
}

describe("planTakes", () => {
  it("gives one account no more than its share, and another account its place though its delivery came last", () => {
    const groups = [...Array.from({ length: 10 }, (_, i) => group("attacker", `a${i}`, 50)), group("victim", "v", 1)];
    const takes = planTakes(groups, new InFlight(), limits, never);
    expect(takes.filter((t) => t.accountId === "attacker").reduce((n, t) => n + t.count, 0)).toBe(5);
    expect(takes.find((t) => t.accountId === "victim")).toEqual({ accountId: "victim", endpointId: "v", count: 1 });
  });

  it("counts what is already in flight against the account, the endpoint and the pool", () => {
    const inFlight = busy([["acct", "e1"], ["acct", "e1"], ["acct", "e2"], ["other", "o"]]);
    expect(byEndpoint(planTakes([group("acct", "e1", 9), group("acct", "e2", 9), group("acct", "e3", 9)], inFlight, limits, never))).toEqual({ e2: 1, e3: 1 });
    const nearlyFull = busy(Array.from({ length: 9 }, (_, i) => [`busy${i}`, `b${i}`] as [string, string]));
    expect(planTakes([group("a", "x", 5), group("b", "y", 5)], nearlyFull, limits, never)).toEqual([{ accountId: "a", endpointId: "x", count: 1 }]);
  });

  it("takes turns: the account served longest ago goes first when places are few", () => {
    const turns = new RoundRobin();
    const tight = { concurrency: 1, perAccount: 1, perEndpoint: 1 };
    const groups = [group("a", "x", 5), group("b", "y", 5), group("c", "z", 5)];
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [take] = planTakes(groups, new InFlight(), tight, (id) => turns.lastServed(id));
      served.push(take.accountId);
      turns.served([take.accountId]);
    }
    expect(served).toEqual(["a", "b", "c", "a", "b", "c"]);
  });

  it("shares an account's places between its endpoints, and never takes more than is due", () => {
    const takes = planTakes([group("acct", "e1", 100), group("acct", "e2", 1), group("acct", "e3", 100)], new InFlight(), { concurrency: 10, perAccount: 5, perEndpoint: 5 }, never);
    expect(byEndpoint(takes)).toEqual({ e1: 2, e2: 1, e3: 2 });
    expect(planTakes([group("acct", "e1", 1)], new InFlight(), limits, never)).toEqual([{ accountId: "acct", endpointId: "e1", count: 1 }]);
  });
});

describe("InFlight", () => {
  it("counts an attempt until it settles, failed ones too, and says who is full", async () => {
    let settled = 0;
    const inFlight = new InFlight(() => settled++);
    let finish!: () => void;
    inFlight.run({ accountId: "a", endpointId: "e" }, () => new Promise<void>((resolve) => (finish = resolve)));
    inFlight.run({ accountId: "a", endpointId: "e" }, async () => Promise.reject(new Error("recorded elsewhere")));
    expect(inFlight.full({ concurrency: 10, perAccount: 2, perEndpoint: 2 })).toEqual({ accounts: ["a"], endpoints: ["e"] });
    await inFlight.anySettled();
    expect(inFlight.size).toBe(1);
    finish();
    await inFlight.allSettled();
    expect([inFlight.size, settled, inFlight.byAccount.size, inFlight.byEndpoint.size]).toEqual([0, 2, 0, 0]);
  });
});

describe("RoundRobin", () => {
  it("forgets the longest-served account first when it remembers too many", () => {
    const turns = new RoundRobin(2);
    turns.served(["a", "b", "c"]);
    expect([turns.lastServed("a"), turns.lastServed("b"), turns.lastServed("c")]).toEqual([0, 2, 3]);
  });
});
