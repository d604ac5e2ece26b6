import { ManualClock } from "../../src/shared/clock";
import { AuditAction, SYSTEM_ACTOR } from "../../src/audit/audit.types";
import type { AuditEntry } from "../../src/audit/audit-entry.entity";
import { entryStream } from "../../src/events/entry-stream";
import { DATABASE_FLAVORS } from "../support/databases";
import { TestApp, startTestApp } from "../support/test-app";

/**
 * The stream behind auditEntryAdded, on the real databases: an entry whose position is
 * earlier than one already sent (it committed later, as concurrent MySQL transactions can)
 * still arrives once, and nothing arrives twice.
 */
describe.each(DATABASE_FLAVORS)("entry streams on %s", (db) => {
  let t: TestApp;
  const clock = new ManualClock("2026-12-01T10:00:00.000Z");
  beforeAll(async () => {
    t = await startTestApp({ db, overrides: { clock }, env: { WEBHOOK_WORKER_ENABLED: "false" } });
  });
  afterAll(async () => t?.close());

  const write = (accountId: string, message: string) =>
    t.app.db.transaction((manager) =>
      t.app.audit.record(manager, { accountId, domain: null, action: AuditAction.API_KEY_CREATED, actor: SYSTEM_ACTOR, message }),
    );
  // A next() that lost a race to the timeout is still the stream's next entry: the following take() awaits it.
  let pendingNext: Promise<IteratorResult<AuditEntry>> | null = null;
  const take = async (iterator: AsyncIterator<AuditEntry>, count: number, timeoutMs = 5000): Promise<string[]> => {
    const messages: string[] = [];
    const deadline = Date.now() + timeoutMs;
    while (messages.length < count) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()))));
      const next = await Promise.race([pendingNext ?? (pendingNext = iterator.next()), timeout]);
      clearTimeout(timer);
      if (!next) break;
      pendingNext = null;
      messages.push(next.value.message);
    }
    return messages;
  };

  it("sends a late-committed entry with an earlier position once, and never repeats one", async () => {
    const accountId = `stream-${db}`;
    await write(accountId, "before");
    const stream = entryStream({ audit: t.app.audit, bus: t.app.events, filter: { accountId }, after: null, lookbackMs: 5000 });
    const pending = take(stream, 1);
    // The stream reads its starting point before it waits: give it that moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    clock.advance(1000);
    await write(accountId, "first");
    expect(await pending).toEqual(["first"]);

    // Written now, positioned 500 ms before "first": what a transaction that committed late looks like.
    clock.advance(-500);
    await write(accountId, "late");
    clock.advance(1000);
    await write(accountId, "second");
    expect(await take(stream, 2)).toEqual(["late", "second"]);

    // Nothing is sent twice, however many signals come.
    await write(`${accountId}-other`, "someone else");
    t.app.events.publish([accountId]);
    expect(await take(stream, 1, 500)).toEqual([]);
    await stream.return!(undefined);
  });

  it("ends at once when the client goes, even while waiting for a signal", async () => {
    const stream = entryStream({ audit: t.app.audit, bus: t.app.events, filter: { accountId: `idle-${db}` }, after: null, lookbackMs: 5000 });
    const waiting = stream.next();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await stream.return!(undefined);
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(Date.now() - started).toBeLessThan(500);
  });
});
