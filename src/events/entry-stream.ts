import { setImmediate as nextTurn } from "node:timers/promises";
import type { AuditEntry } from "../audit/audit-entry.entity";
import { replayTooLong } from "../graphql/errors";
import type { AuditFilter, AuditLog } from "../audit/audit-log";
import type { Position } from "../shared/pagination";
import { ALL_ACCOUNTS, type EventBus } from "./event-bus";

export interface EntryStreamOptions {
  audit: AuditLog;
  bus: EventBus;
  filter: AuditFilter;
  /** Start after this position (replay, then live); null: only entries written from now on. */
  after: Position | null;
  /**
   * How far behind the newest entry sent the stream keeps re-reading. Positions come from
   * createdAt, taken inside each writer's transaction, so on MySQL an entry can commit a
   * moment after one with a later position; re-reading a window and skipping ids already
   * sent is what makes "no gap, no duplicate" hold for such entries too.
   */
  lookbackMs: number;
  pageSize?: number;
  /**
   * Entries the replay after `after` sends at most; past it the stream ends with REPLAY_TOO_LONG,
   * and the client subscribes again from the last cursor it got. Unset: no bound.
   */
  maxReplay?: number;
  /** Whether anyone still listens (the WebSocket is OPEN): checked before every entry, so a stream never works for a closed socket. */
  isOpen?: () => boolean;
}

const ZERO_ID = "00000000-0000-0000-0000-000000000000";

const compare = (a: Position, b: Position) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The entries of `filter` in log order: those after `after` first, then each new one as it
 * commits. The bus only wakes the stream; what to send is always read from the database
 * after the stream's own position, so the switch from replay to live has no gap and no
 * duplicate, and a lost signal only delays until the next one. The listener is registered
 * before the first read, so nothing committed during the replay is missed.
 */
export function entryStream(options: EntryStreamOptions): AsyncIterableIterator<AuditEntry> {
  const state: StreamState = { closed: false, notify: null };
  const generator = streamEntries(options, state);
  return {
    next: () => generator.next(),
    // An async generator waiting for a signal would only see return() at its next yield: wake it so it ends now.
    return: (value?: unknown) => {
      state.closed = true;
      state.notify?.();
      return generator.return(value as undefined);
    },
    throw: (error?: unknown) => generator.throw(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

interface StreamState {
  closed: boolean;
  notify: (() => void) | null;
}

async function* streamEntries(options: EntryStreamOptions, state: StreamState): AsyncGenerator<AuditEntry> {
  const { audit, bus, filter, lookbackMs } = options;
  const pageSize = options.pageSize ?? 100;
  const isOpen = options.isOpen ?? (() => true);
  let dirty = true;
  const unsubscribe = bus.subscribe((accountId) => {
    if (accountId !== filter.accountId && accountId !== ALL_ACCOUNTS) return;
    dirty = true;
    state.notify?.();
  });
  try {
    let position: Position = options.after ?? (await newestPosition(options));
    // Ids at or before the position within the window: already the client's, never sent again.
    const known = new Map<string, number>();
    const windowStart = (p: Position): Position => ({ createdAt: new Date(p.createdAt.getTime() - lookbackMs), id: ZERO_ID });
    for (let cursor = windowStart(position); ; ) {
      const rows = await audit.listAfter(filter, cursor, pageSize);
      for (const row of rows) if (compare(row, position) <= 0) known.set(row.id, row.createdAt.getTime());
      if (rows.length < pageSize || compare(rows[rows.length - 1], position) > 0) break;
      cursor = rows[rows.length - 1];
    }
    // Only a replay's first pass is bounded: what later passes send was written while the client listened.
    let replayLeft = options.after && options.maxReplay !== undefined ? options.maxReplay : Infinity;

    while (!state.closed) {
      if (!dirty) await new Promise<void>((resolve) => (state.notify = resolve));
      state.notify = null;
      if (state.closed) return;
      dirty = false;
      for (let cursor = windowStart(position); ; ) {
        const rows = await audit.listAfter(filter, cursor, pageSize);
        for (const row of rows) {
          if (known.has(row.id)) continue;
          if (replayLeft <= 0) throw replayTooLong(options.maxReplay!);
          // Each entry is run and sent before the next: letting I/O in between is what lets a close frame, a
          // signal or another client's request be seen while a long replay runs (SQLite answers without any I/O).
          await nextTurn();
          if (state.closed || !isOpen()) return;
          replayLeft--;
          known.set(row.id, row.createdAt.getTime());
          if (compare(row, position) > 0) position = { createdAt: row.createdAt, id: row.id };
          yield row;
        }
        if (rows.length < pageSize) break;
        cursor = rows[rows.length - 1];
      }
      replayLeft = Infinity;
      const horizon = position.createdAt.getTime() - lookbackMs;
      for (const [id, at] of known) if (at < horizon) known.delete(id);
    }
  } finally {
    unsubscribe();
  }
}

/** Where a stream without a cursor starts: after the newest entry it could send. */
async function newestPosition({ audit, filter }: EntryStreamOptions): Promise<Position> {
  const newest = await audit.newest(filter);
  return newest ? { createdAt: newest.createdAt, id: newest.id } : { createdAt: new Date(0), id: ZERO_ID };
}
