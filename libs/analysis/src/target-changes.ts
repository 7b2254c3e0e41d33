import type { TargetChange } from './suspect-component';

/**
 * Attributes whose value is the version of what runs: a config version as a service announces it
 * on its records (`shop.config.version`, `app.configuration.version`, `config_version`), or the
 * resource's `service.version` (a deploy).
 */
const VERSION_KEY = /(^|[._])config(uration)?[._]version$|^service\.version$/i;

/** Changes kept per target: the last one before an onset is what the hypothesis asks for. */
const MAX_CHANGES = 20;

export interface TargetChangesSnapshot {
  values: [key: string, value: string][];
  changes: TargetChange[];
}

/**
 * The changes of each target its telemetry announces: a version attribute that takes a new value.
 * The first value seen is a change only once the target is well known (as a new error template
 * is): a service that tags everything with its config version shows one at start-up, and that
 * says nothing; one that announces a new version only when it changes shows it first then.
 */
export class TargetChanges {
  private readonly values = new Map<string, Map<string, string>>();
  private readonly changes = new Map<string, TargetChange[]>();

  observe(target: string, attributes: Readonly<Record<string, unknown>>, atMs: number, wellKnown: boolean): void {
    for (const [key, raw] of Object.entries(attributes)) {
      if (!VERSION_KEY.test(key) || (typeof raw !== 'string' && typeof raw !== 'number') || raw === '') continue;
      const value = String(raw);
      let values = this.values.get(target);
      if (!values) {
        values = new Map();
        this.values.set(target, values);
      }
      const from = values.get(key);
      if (from === value) continue;
      values.set(key, value);
      if (from === undefined && !wellKnown) continue;
      const list = this.changes.get(target) ?? [];
      list.push({ atMs, key, ...(from === undefined ? {} : { from }), to: value });
      list.sort((a, b) => a.atMs - b.atMs);
      this.changes.set(target, list.slice(-MAX_CHANGES));
    }
  }

  of(target: string): readonly TargetChange[] {
    return this.changes.get(target) ?? [];
  }

  snapshot(target: string): TargetChangesSnapshot {
    return { values: [...(this.values.get(target) ?? new Map<string, string>())], changes: [...this.of(target)] };
  }

  restore(target: string, snapshot: TargetChangesSnapshot): void {
    this.values.set(target, new Map(snapshot.values));
    this.changes.set(target, snapshot.changes.slice(-MAX_CHANGES));
  }

  drop(target: string): void {
    this.values.delete(target);
    this.changes.delete(target);
  }
}
