import type { EntityManager } from "typeorm";
import type { Database } from "../database";
import type { Transactional } from "./fake-table";

/** The fakes stand in for the database; the manager they are handed is never looked at. */
export const FAKE_MANAGER = {} as EntityManager;

/**
 * What services ask of the database besides their stores (transactions, and signals after a
 * commit), over fakes: transactions run one at a time and roll every participant back when
 * their work throws; what waits for a commit runs after it, once per key, and never after a rollback.
 */
export class FakeDatabase implements Pick<Database, "transaction" | "afterCommit"> {
  private waiting: Map<string, () => void> | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly participants: Transactional[]) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.runAlone(work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runAlone<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (const participant of this.participants) participant.begin();
    this.waiting = new Map();
    let result: T;
    try {
      result = await work(FAKE_MANAGER);
    } catch (error) {
      for (const participant of this.participants) participant.rollback();
      this.waiting = null;
      throw error;
    }
    for (const participant of this.participants) participant.commit();
    const waiting = this.waiting;
    this.waiting = null;
    for (const run of waiting.values()) run();
    return result;
  }

  afterCommit(_manager: EntityManager, key: string, run: () => void): void {
    if (!this.waiting) return run();
    if (!this.waiting.has(key)) this.waiting.set(key, run);
  }
}

/** A list (an audit log's entries, say) as a transaction participant: a rollback drops what was appended. */
export function appendOnly(list: unknown[]): Transactional {
  let length: number | null = null;
  return {
    begin: () => void (length = list.length),
    commit: () => void (length = null),
    rollback: () => {
      if (length !== null) list.length = length;
      length = null;
    },
  };
}
