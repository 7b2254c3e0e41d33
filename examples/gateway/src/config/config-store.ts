import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig, type GatewayConfig } from './gateway-config.schema';

export interface ConfigVersion {
  version: number;
  /** The version this one was derived from: where a rollback goes. */
  parent: number | null;
  config: GatewayConfig;
  reason: string;
  createdAt: string;
}

interface StoredState {
  live: number;
  versions: ConfigVersion[];
}

const MAX_VERSIONS = 100;

export class ConfigRollbackError extends Error {
  readonly code = 'NOTHING_TO_ROLL_BACK';
}

/**
 * Versioned configuration persisted as one JSON file, so it survives a restart of the gateway (the
 * same store as the demo shop's). Every change makes a new version whose parent is the live one; a
 * rollback makes the parent live again, so rolling back twice walks two changes back.
 */
export class ConfigStore {
  private constructor(
    private readonly file: string,
    private state: StoredState,
  ) {}

  /** Opens the store in `file`, or starts one at version 1 with `initial` when there is none. */
  static open(file: string, initial: GatewayConfig, now: () => Date = () => new Date()): ConfigStore {
    if (!fs.existsSync(file)) {
      const state: StoredState = {
        live: 1,
        versions: [{ version: 1, parent: null, config: initial, reason: 'initial', createdAt: now().toISOString() }],
      };
      const store = new ConfigStore(file, state);
      store.persist();
      return store;
    }
    return new ConfigStore(file, readState(file));
  }

  get live(): ConfigVersion {
    const entry = this.state.versions.find((v) => v.version === this.state.live);
    if (!entry) throw new Error(`${this.file}: live version ${this.state.live} is missing`);
    return entry;
  }

  history(): readonly ConfigVersion[] {
    return this.state.versions;
  }

  apply(config: GatewayConfig, reason: string, now: Date = new Date()): ConfigVersion {
    const last = this.state.versions[this.state.versions.length - 1];
    const entry: ConfigVersion = {
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
  rollback(): { from: ConfigVersion; to: ConfigVersion } {
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

function readState(file: string): StoredState {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)}); move it away to start from the initial config`,
    );
  }
  const state = raw as Partial<StoredState> | null;
  if (!state || typeof state.live !== 'number' || !Array.isArray(state.versions)) {
    throw new Error(`${file}: expected { live, versions[] }; move it away to start from the initial config`);
  }
  const versions = state.versions.map((v: ConfigVersion) => {
    const parsed = parseConfig(v.config);
    if (!parsed.ok) throw new Error(`${file}: version ${String(v.version)}: ${parsed.errors.join('; ')}`);
    return { ...v, config: parsed.value };
  });
  if (!versions.some((v) => v.version === state.live)) throw new Error(`${file}: live version ${state.live} is not in versions`);
  return { live: state.live, versions };
}
