/**
 * The maximum of the last `length` values pushed, in O(1) amortised time per push: a monotonic
 * queue keeps only the values that can still become the maximum (each newer than, and smaller
 * than, the one before it), so a push drops the smaller values it outranks and the values that
 * left the window. Memory is at most `length` entries, usually a handful.
 */
export class SlidingMax {
  private readonly values: Float64Array;
  /** Push count at which each kept value was pushed. */
  private readonly stamps: Float64Array;
  private head = 0;
  private size = 0;
  private pushed = 0;

  constructor(readonly length: number) {
    this.values = new Float64Array(length);
    this.stamps = new Float64Array(length);
  }

  /** The maximum of the last `length` values, or -Infinity before the first push. */
  get max(): number {
    return this.size === 0 ? -Infinity : (this.values[this.head] as number);
  }

  push(x: number): void {
    const cap = this.length;
    // Drop what left the window, from the front (the oldest kept value).
    while (this.size > 0 && (this.stamps[this.head] as number) <= this.pushed - cap) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
    // Drop, from the back, the values x outranks: they can never be the maximum again.
    while (this.size > 0) {
      const back = (this.head + this.size - 1) % cap;
      if ((this.values[back] as number) > x) break;
      this.size--;
    }
    const at = (this.head + this.size) % cap;
    this.values[at] = x;
    this.stamps[at] = this.pushed;
    this.size++;
    this.pushed++;
  }

  /** The kept values with how many pushes ago each was pushed (0 = the latest), oldest first. */
  entries(): Array<{ age: number; value: number }> {
    const out: Array<{ age: number; value: number }> = [];
    for (let k = 0; k < this.size; k++) {
      const at = (this.head + k) % this.length;
      out.push({ age: this.pushed - 1 - (this.stamps[at] as number), value: this.values[at] as number });
    }
    return out;
  }

  /**
   * Rebuilds a window from `entries()`: ages strictly decreasing and below `length`, values
   * strictly decreasing (what a monotonic queue holds). Throws a RangeError otherwise.
   */
  static fromEntries(length: number, entries: ReadonlyArray<{ age: number; value: number }>): SlidingMax {
    const m = new SlidingMax(length);
    if (entries.length === 0) return m;
    const oldest = (entries[0] as { age: number }).age;
    m.pushed = oldest + 1;
    for (let k = 0; k < entries.length; k++) {
      const { age, value } = entries[k] as { age: number; value: number };
      const prev = entries[k - 1];
      if (
        !Number.isInteger(age) ||
        age < 0 ||
        age >= length ||
        !Number.isFinite(value) ||
        (prev && (age >= prev.age || value >= prev.value))
      ) {
        throw new RangeError(
          `sliding max entry ${k}: ages must be distinct integers in [0, ${length}) and both ages and values must decrease`,
        );
      }
      m.values[k] = value;
      m.stamps[k] = m.pushed - 1 - age;
    }
    m.size = entries.length;
    return m;
  }
}
