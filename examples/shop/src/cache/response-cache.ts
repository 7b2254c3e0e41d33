export type CacheOutcome = 'hit' | 'stale' | 'miss';

interface Entry<T> {
  value: T;
  storedAt: number;
}

/**
 * The shop's response cache: LRU, time-to-live, one load per key at a time (concurrent misses
 * wait for the same call), and stale-while-revalidate: an expired entry is still served while one
 * background call refreshes it, so a slow dependency is felt only on a cold key.
 */
export class ResponseCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly loading = new Map<string, Promise<T>>();

  constructor(
    private readonly capacity = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async get(key: string, ttlMs: number, load: () => Promise<T>): Promise<{ value: T; outcome: CacheOutcome }> {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      if (this.now() - entry.storedAt < ttlMs) return { value: entry.value, outcome: 'hit' };
      // Refresh in the background; a failed refresh keeps serving the stale value.
      this.load(key, load).catch(() => undefined);
      return { value: entry.value, outcome: 'stale' };
    }
    return { value: await this.load(key, load), outcome: 'miss' };
  }

  clear(): void {
    this.entries.clear();
  }

  private load(key: string, load: () => Promise<T>): Promise<T> {
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const promise = load()
      .then((value) => {
        this.entries.delete(key);
        this.entries.set(key, { value, storedAt: this.now() });
        while (this.entries.size > this.capacity) {
          const oldest = this.entries.keys().next().value;
          if (oldest === undefined) break;
          this.entries.delete(oldest);
        }
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, promise);
    return promise;
  }
}
