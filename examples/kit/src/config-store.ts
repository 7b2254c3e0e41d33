import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ConfigVersion<C> {
  version: number;
  /** The version this one was derived from: where a rollback goes. */
  parent: number | null;
  config: C;
  reason: string;
  createdAt: string;
}

interface StoredState<C> {
  live: number;
  versions: ConfigVersion<C>[];
}

/** What a store needs to know of the config it keeps. */
export interface ConfigKind<C> {
  /** Version 1's config, when the file does not exist yet. */
  initial: C;
  /** Version 1's reason, e.g. `defaults`. */
  reason: string;
  /** Checks a stored version's config: a file edited by hand or written by another release may not fit. */
  parse(value: unknown): { ok: true; value: C } | { ok: false; errors: string[] };
}

const MAX_VERSIONS = 100;

export class ConfigRollbackError extends Error {
  readonly code = 'NOTHING_TO_ROLL_BACK';
}

/**
 * Versioned configuration persisted as one JSON file, so it survives a restart of the service.
 * Every change makes a new version whose parent is the live one; a rollback makes the parent live
 * again, so rolling back twice walks two changes back.
 */
export class ConfigStore<C> {
  private constructor(
    private readonly file: string,
    private state: StoredState<C>,
  ) {}

  /** Opens the store in `file`, or starts one at version 1 with `kind.initial` when there is none. */
  static open<C>(file: string, kind: ConfigKind<C>, now: () => Date = () => new Date()): ConfigStore<C> {
    if (!fs.existsSync(file)) {
      const state: StoredState<C> = {
        live: 1,
        versions: [{ version: 1, parent: null, config: kind.initial, reason: kind.reason, createdAt: now().toISOString() }],
      };
      const store = new ConfigStore(file, state);
      store.persist();
      return store;
    }
    return new ConfigStore(file, readState(file, kind));
  }

  get live(): ConfigVersion<C> {
    const entry = this.state.versions.find((v) => v.version === this.state.live);
    if (!entry) throw new Error(`${this.file}: live version ${this.state.live} is missing`);
    return entry;
  }

  history(): readonly ConfigVersion<C>[] {
    return this.state.versions;
  }

  apply(config: C, reason: string, now: Date = new Date()): ConfigVersion<C> {
    const last = this.state.versions[this.state.versions.length - 1];
    const entry: ConfigVersion<C> = {
      version: (last?.version ?? 0) + 1,
      parent: this.state.live,
      config,
      reason,
      createdAt: now.toISOString(),
    };
    const versions = [...this.state.versions, entry].slice(-MAX_VERSIONS);
    this.state = { live: entry.version, versions };
    this.persist();
    return entry;
  }

  /** Makes the live version's parent live again. */
  rollback(): { from: ConfigVersion<C>; to: ConfigVersion<C> } {
    const from = this.live;
    const to = this.state.versions.find((v) => v.version === from.parent);
    if (!to) {
      throw new ConfigRollbackError(
        from.parent === null
          ? `version ${from.version} is the first one: nothing to roll back to`
          : `version ${from.parent} is no longer kept`,
      );
    }
    this.state = { ...this.state, live: to.version };
    this.persist();
    return { from, to };
  }

  private persist(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.state, null, 2) + '\n');
    fs.renameSync(tmp, this.file);
  }
}

function readState<C>(file: string, kind: ConfigKind<C>): StoredState<C> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)}); move it away to start over from version 1`,
    );
  }
  const state = raw as Partial<StoredState<unknown>> | null;
  if (!state || typeof state.live !== 'number' || !Array.isArray(state.versions)) {
    throw new Error(`${file}: expected { live, versions[] }; move it away to start over from version 1`);
  }
  const versions = state.versions.map((v: ConfigVersion<unknown>) => {
    const parsed = kind.parse(v.config);
    if (!parsed.ok) throw new Error(`${file}: version ${String(v.version)}: ${parsed.errors.join('; ')}`);
    return { ...v, config: parsed.value };
  });
  if (!versions.some((v) => v.version === state.live)) throw new Error(`${file}: live version ${state.live} is not in versions`);
  return { live: state.live, versions };
}
