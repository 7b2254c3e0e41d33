import { Counter, type Registry } from 'prom-client';

/** One label set's running total: adding to it is one addition, whatever the labels. */
export class CounterCell {
  value = 0;
  reported = 0;

  constructor(readonly labels: Readonly<Record<string, string>>) {}

  add(n: number): void {
    // A negative or NaN count would make the counter go backwards: it is dropped.
    if (n > 0) this.value += n;
  }
}

/**
 * A Prometheus counter for the hot paths. prom-client's `counter.inc(labels, n)` hashes the
 * labels on every call; here a caller looks its cell up once (at start) and adds to a number,
 * and the totals are handed to prom-client only when Prometheus scrapes (its collect hook).
 */
export class CellCounter<L extends string> {
  private readonly cells = new Map<string, CounterCell>();

  constructor(
    registry: Registry,
    readonly name: string,
    help: string,
    private readonly labelNames: readonly L[],
  ) {
    const cells = this.cells;
    new Counter<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect(): void {
        for (const cell of cells.values()) {
          const delta = cell.value - cell.reported;
          cell.reported = cell.value;
          // 0 too: a label set looked up but not counted yet is shown as 0, not left out.
          this.inc(cell.labels as Partial<Record<L, string>>, delta);
        }
      },
    });
  }

  /** The cell of a label set; look it up once and keep it when the labels are known in advance. */
  cell(labels: Readonly<Record<L, string>>): CounterCell {
    let key = '';
    for (const name of this.labelNames) key += `${labels[name]}\u0000`;
    let cell = this.cells.get(key);
    if (!cell) {
      const copy: Record<string, string> = {};
      for (const name of this.labelNames) copy[name] = labels[name];
      this.cells.set(key, (cell = new CounterCell(copy)));
    }
    return cell;
  }
}
