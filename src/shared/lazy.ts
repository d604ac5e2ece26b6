/**
 * A memoized async getter: `load` runs at the first call and every later call shares its promise,
 * so what start-up does not need is paid for at first use, once. A failure is not kept: the next
 * call tries again.
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = null;
      throw error;
    });
    return loading;
  };
}
