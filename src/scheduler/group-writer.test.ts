import { GroupWriter } from "./group-writer";

/** A write the test finishes by hand, so what is grouped with what is seen. */
function gatedWrites() {
  const calls: { items: number[]; finish: () => void; fail: (error: Error) => void }[] = [];
  const write = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => calls.push({ items, finish: () => resolve(items.map((i) => `wrote ${i}`)), fail: reject }));
  return { calls, write };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("GroupWriter", () => {
  it("writes at once while a writer is free, and groups what arrives while all are busy", async () => {
    const { calls, write } = gatedWrites();
    const writer = new GroupWriter(write, { maxGroup: 3, writers: 1 });
    const results = [1, 2, 3, 4, 5, 6].map((i) => writer.submit(i));
    expect(calls.map((c) => c.items)).toEqual([[1]]);
    calls[0].finish();
    await settle();
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    calls[1].finish();
    await settle();
    calls[2].finish();
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `wrote ${i}`));
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it("runs as many groups at once as it has writers", async () => {
    const { calls, write } = gatedWrites();
    const writer = new GroupWriter(write, { maxGroup: 10, writers: 2 });
    for (const i of [1, 2, 3, 4]) void writer.submit(i);
    expect(calls.map((c) => c.items)).toEqual([[1], [2]]);
    calls[1].finish();
    await settle();
    expect(calls.map((c) => c.items)).toEqual([[1], [2], [3, 4]]);
  });

  it("fails every item of a failed group, and goes on with the next", async () => {
    const { calls, write } = gatedWrites();
    const writer = new GroupWriter(write, { maxGroup: 10, writers: 1 });
    const first = writer.submit(1);
    const second = writer.submit(2);
    const third = writer.submit(3);
    calls[0].fail(new Error("deadlock"));
    await expect(first).rejects.toThrow("deadlock");
    calls[1].fail(new Error("gone"));
    await expect(second).rejects.toThrow("gone");
    await expect(third).rejects.toThrow("gone");
    const fourth = writer.submit(4);
    calls[2].finish();
    expect(await fourth).toBe("wrote 4");
  });
});
