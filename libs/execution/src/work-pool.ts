/**
 * Runs background work with a bound on how much runs at once; tasks beyond it wait their turn.
 * The executor's handlers launch a run and return, so the consumer is never held up by a
 * verification that takes minutes; shutdown waits for what is running (up to a limit).
 */
export class WorkPool {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(readonly limit: number) {}

  /** `task` must handle its own errors; one that escapes is given to `onError`. */
  launch(task: () => Promise<void>, onError: (error: unknown) => void): void {
    const run = this.acquire()
      .then(task)
      .catch(onError)
      .finally(() => this.release());
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  get size(): { running: number; waiting: number } {
    return { running: this.active, waiting: this.waiting.length };
  }

  /** True when everything finished within `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const all = (async (): Promise<true> => {
      while (this.running.size > 0) await Promise.allSettled([...this.running]);
      return true;
    })();
    try {
      return await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next task, so `active` stays the same.
    if (next) next();
    else this.active--;
  }
}
