import { Domain } from "../domains/domain.entity";
import { ClaimFeed, type FedClaim } from "./claim-feed";
import type { LeasedBatch } from "./domain-leases";

/** Batches of `sizes` claims, then nothing; each lease call is recorded with how many claims were unfinished then. */
function source(sizes: number[]) {
  let n = 0;
  let leases = 0;
  const calls: number[] = [];
  const next = async (): Promise<LeasedBatch | null> => {
    const size = sizes.shift();
    calls.push(leases++);
    if (size === undefined) return null;
    return { lease: `lease-${leases}`, domains: Array.from({ length: size }, () => Object.assign(new Domain(), { id: `d${++n}` })) };
  };
  return { next, calls };
}

async function takeAll(feed: ClaimFeed, count: number): Promise<FedClaim[]> {
  const taken: FedClaim[] = [];
  for (let i = 0; i < count; i++) taken.push((await feed.take())!);
  return taken;
}

describe("ClaimFeed", () => {
  it("leases the next batch once fewer than a batch of claims are unfinished, never holding more than two", async () => {
    const { next, calls } = source([3, 3, 3]);
    const feed = new ClaimFeed(next, { batchSize: 3 });
    const first = await takeAll(feed, 3);
    expect(first.map((c) => c.domain.id)).toEqual(["d1", "d2", "d3"]);
    expect(calls).toHaveLength(1);
    // Three unfinished: no lease ahead, the fourth claim waits for one of them to be recorded.
    let fourth: FedClaim | null = null;
    const waiting = feed.take().then((claim) => (fourth = claim));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fourth).toBeNull();
    feed.finished(first[0]);
    await waiting;
    expect(fourth!.domain.id).toBe("d4");
    expect(fourth!.lease).toBe("lease-2");
    expect(calls).toHaveLength(2);
  });

  it("stops at a batch smaller than asked, and answers null once every claim was handed out", async () => {
    const { next, calls } = source([2, 1, 5]);
    const feed = new ClaimFeed(next, { batchSize: 2 });
    const claims = await takeAll(feed, 2);
    for (const claim of claims) feed.finished(claim);
    const last = await feed.take();
    expect(last!.domain.id).toBe("d3");
    feed.finished(last!);
    expect(await feed.take()).toBeNull();
    expect(calls).toHaveLength(2);
  });

  it("leases again once every claim in hand is recorded when a batch leased meanwhile came back short, and stops at a short one leased idle", async () => {
    // The second lease runs while three claims are still being recorded: their locks can make it come back empty.
    const { next, calls } = source([4, 0, 4, 1]);
    const feed = new ClaimFeed(next, { batchSize: 4 });
    const first = await takeAll(feed, 3);
    feed.finished(first[0]);
    const fourth = (await feed.take())!;
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(2);
    // Not the end, and no lease while claims are in hand: the next take waits for them.
    const waiting = feed.take();
    feed.finished(first[1]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(2);
    feed.finished(first[2]);
    feed.finished(fourth);
    expect((await waiting)!.domain.id).toBe("d5");
    expect(calls).toHaveLength(3);
    const second = [(await waiting)!, ...(await takeAll(feed, 3))];
    expect(second.map((c) => c.domain.id)).toEqual(["d5", "d6", "d7", "d8"]);
    for (const claim of second) feed.finished(claim);
    const last = (await feed.take())!;
    expect(last.domain.id).toBe("d9");
    feed.finished(last);
    // That one was leased with nothing in hand and came back short: nothing more is due.
    expect(await feed.take()).toBeNull();
    expect(calls).toHaveLength(4);
  });

  it("tells when each batch is leased and when all of it is recorded", async () => {
    const { next } = source([2]);
    const events: string[] = [];
    const feed = new ClaimFeed(next, {
      batchSize: 2,
      onBatchStarted: (batch) => events.push(`leased ${batch.size}`),
      onBatchDone: (batch) => events.push(`done ${batch.size}`),
    });
    const [a, b] = await takeAll(feed, 2);
    feed.finished(a);
    expect(events).toEqual(["leased 2"]);
    feed.finished(b);
    expect(events).toEqual(["leased 2", "done 2"]);
  });

  it("hands back the claims not yet handed out when drained, and leases nothing more", async () => {
    const { next, calls } = source([4, 4]);
    const feed = new ClaimFeed(next, { batchSize: 4 });
    const first = (await feed.take())!;
    expect(feed.drain().map((c) => c.domain.id)).toEqual(["d2", "d3", "d4"]);
    feed.finished(first);
    expect(await feed.take()).toBeNull();
    expect(calls).toHaveLength(1);
  });

  it("keeps a failed lease's error for the run to report, and hands out nothing more", async () => {
    const feed = new ClaimFeed(() => Promise.reject(new Error("database down")), { batchSize: 4 });
    expect(await feed.take()).toBeNull();
    expect((feed.error as Error).message).toBe("database down");
  });
});
