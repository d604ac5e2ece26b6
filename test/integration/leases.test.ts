import { DataSource } from "typeorm";
import { openDataSource } from "../../src/db/data-source";
import { Database } from "../../src/db/database";
import { runMigrations } from "../../src/db/migrate";
import { entities } from "../../src/app/entities";
import { ManualClock } from "../../src/shared/clock";
import { RowCondition, RowLeases, instanceName, newLease } from "../../src/db/lease";
import { WebhookDelivery, WebhookDeliveryStatus } from "../../src/webhooks/webhook-delivery.entity";
import { DATABASE_FLAVORS, createScratchDatabase } from "../support/databases";

const MINUTE = 60_000;

/** Due deliveries, as the delivery worker wants them. */
const DUE: RowCondition = {
  sql: (c) => `${c("status")} = :pending AND ${c("nextAttemptAt")} <= :now`,
  params: { pending: WebhookDeliveryStatus.PENDING },
};

/** db/lease.ts on both databases, over the deliveries table (any leased table would do). */
describe.each(DATABASE_FLAVORS)("row leases on %s", (flavor) => {
  let dataSource: DataSource;
  let db: Database;
  let drop: (() => Promise<void>) | undefined;
  const clock = new ManualClock("2026-11-22T10:00:00.000Z");
  let leases: RowLeases<WebhookDelivery>;
  let seq = 0;

  beforeAll(async () => {
    const scratch = await createScratchDatabase(flavor);
    drop = () => scratch.drop();
    dataSource = await openDataSource(scratch.url, { entities });
    await runMigrations(dataSource);
    db = new Database(dataSource);
    leases = new RowLeases(db, clock, WebhookDelivery);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await drop?.();
  });

  /** `count` deliveries of one new endpoint, due `dueIn` from now (null: parked), oldest first. */
  const deliveries = async (count: number, dueIn: number | null = 0, status = WebhookDeliveryStatus.PENDING) => {
    const endpointId = `endpoint-${++seq}`;
    const rows = Array.from({ length: count }, (_, i) =>
      dataSource.manager.create(WebhookDelivery, {
        id: `${endpointId}-delivery-${String(i).padStart(3, "0")}`,
        endpointId,
        accountId: "account",
        entryId: `${endpointId}-entry-${i}`,
        messageId: `msg_${seq}_${i}`,
        status,
        attempts: 0,
        nextAttemptAt: dueIn === null ? null : new Date(clock.now().getTime() + dueIn - (count - i)),
        lastAttemptAt: null,
        lastResponseStatus: null,
        lastError: null,
        deliveredAt: null,
        attemptLog: [],
        leaseOwner: null,
        leaseExpiresAt: null,
        createdAt: clock.now(),
      }),
    );
    await dataSource.manager.insert(WebhookDelivery, rows);
    return { endpointId, ids: rows.map((row) => row.id) };
  };
  const claim = (endpointId: string, limit: number, lease = newLease(), leaseMs = 5 * MINUTE) =>
    leases.claim({
      lease,
      leaseMs,
      wanted: DUE,
      picks: [(qb, c) => qb.andWhere(`${c("endpointId")} = :endpointId`, { endpointId }).orderBy(c("nextAttemptAt"), "ASC").limit(limit)],
    });
  const stored = (id: string) => dataSource.manager.findOneByOrFail(WebhookDelivery, { id });

  it("leases free, wanted rows in the pick's order and hands them back as leased", async () => {
    const { endpointId, ids } = await deliveries(4);
    await deliveries(1, MINUTE);
    const lease = newLease();
    const taken = await claim(endpointId, 3, lease);
    expect(taken.map((d) => d.id)).toEqual(ids.slice(0, 3));
    expect(taken.every((d) => d.leaseOwner === lease && d.leaseExpiresAt?.getTime() === clock.now().getTime() + 5 * MINUTE)).toBe(true);
    expect((await stored(ids[0])).leaseOwner).toBe(lease);
    expect((await stored(ids[3])).leaseOwner).toBeNull();
  });

  it("passes over rows another lease holds until that lease runs out", async () => {
    const { endpointId, ids } = await deliveries(2);
    const first = await claim(endpointId, 10);
    expect(first).toHaveLength(2);
    expect(await claim(endpointId, 10)).toEqual([]);
    clock.advance(5 * MINUTE);
    const again = newLease();
    expect((await claim(endpointId, 10, again)).map((d) => d.id)).toEqual(ids);
    expect((await stored(ids[1])).leaseOwner).toBe(again);
  });

  it("acts only on the rows its own UPDATE changed, whatever the candidates were", async () => {
    const { endpointId, ids } = await deliveries(3);
    const other = newLease();
    await claim(endpointId, 1, other);
    await dataSource.manager.update(WebhookDelivery, { id: ids[2] }, { status: WebhookDeliveryStatus.DELIVERED });
    // As on a cluster, where no row lock keeps the picked rows as they were: all three come up as candidates.
    let raceRan = false;
    const candidates = async () => ((raceRan = true), ids);
    const raced = Object.assign(Object.create(leases), { candidates }) as RowLeases<WebhookDelivery>;
    const mine = newLease();
    const taken = await raced.claim({ lease: mine, leaseMs: MINUTE, wanted: DUE, picks: [(qb) => qb] });
    expect(raceRan).toBe(true);
    expect(taken.map((d) => d.id)).toEqual([ids[1]]);
    expect([(await stored(ids[0])).leaseOwner, (await stored(ids[2])).leaseOwner]).toEqual([other, null]);
  });

  it("hands each row to one of many claims taken at once", async () => {
    const { endpointId, ids } = await deliveries(30);
    const batches = await Promise.all(Array.from({ length: 8 }, () => claim(endpointId, 5)));
    const taken = batches.flat().map((d) => d.id);
    expect(new Set(taken).size).toBe(taken.length);
    expect(taken.length).toBe(30);
    expect(new Set(taken)).toEqual(new Set(ids));
  });

  it("renews only the rows the lease still holds", async () => {
    const { endpointId, ids } = await deliveries(2);
    const lease = newLease();
    await claim(endpointId, 2, lease, MINUTE);
    await leases.release(dataSource.manager, ids[1], lease);
    clock.advance(30_000);
    expect(await leases.renew(lease, ids, 10 * MINUTE)).toBe(1);
    expect((await stored(ids[0])).leaseExpiresAt?.getTime()).toBe(clock.now().getTime() + 10 * MINUTE);
    expect((await stored(ids[1])).leaseExpiresAt).toBeNull();
    expect(await leases.renew(lease, [], MINUTE)).toBe(0);
  });

  it("gives a lease up with the row's changes while it holds, and writes nothing once it is lost", async () => {
    const { endpointId, ids } = await deliveries(2);
    const lease = newLease();
    await claim(endpointId, 2, lease);
    expect(await leases.release(dataSource.manager, ids[0], lease, { attempts: 1 })).toBe(true);
    expect(await stored(ids[0])).toMatchObject({ attempts: 1, leaseOwner: null, leaseExpiresAt: null });
    expect(await leases.release(dataSource.manager, ids[0], lease, { attempts: 2 })).toBe(false);
    expect(await leases.release(dataSource.manager, ids[1], lease, { attempts: 3 }, { status: WebhookDeliveryStatus.FAILED })).toBe(false);
    expect(await stored(ids[1])).toMatchObject({ attempts: 0, leaseOwner: lease });
    await leases.clear(dataSource.manager, ids[1]);
    expect(await stored(ids[1])).toMatchObject({ leaseOwner: null, leaseExpiresAt: null });
  });

  it("names every lease after this instance, each one new", () => {
    const [a, b] = [newLease(), newLease()];
    expect(a).not.toBe(b);
    expect(a.startsWith(`${instanceName()}-`)).toBe(true);
    expect(instanceName()).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
  });
});
