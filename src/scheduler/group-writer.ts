export interface GroupWriterOptions {
  /** Items written by one call at most (one transaction). */
  maxGroup: number;
  /** Calls in progress at once. */
  writers: number;
}

/**
 * Group commit: items submitted while every writer is busy are written together by the next free
 * one, so the groups grow with the load and an item never waits for a timer. `write` answers
 * each item in the order given; when it fails, every item of its group fails with it.
 */
export class GroupWriter<I, R> {
  private pending: { item: I; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private running = 0;

  constructor(
    private readonly write: (items: I[]) => Promise<R[]>,
    private readonly options: GroupWriterOptions,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.start();
    });
  }

  private start(): void {
    while (this.running < this.options.writers && this.pending.length > 0) {
      const group = this.pending.splice(0, this.options.maxGroup);
      this.running++;
      this.write(group.map((entry) => entry.item))
        .then(
          (results) => group.forEach((entry, i) => entry.resolve(results[i])),
          (error: unknown) => group.forEach((entry) => entry.reject(error)),
        )
        .finally(() => {
          this.running--;
          this.start();
        });
    }
  }
}
