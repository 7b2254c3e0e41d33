import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigRollbackError, ConfigStore, type ConfigKind } from './config-store';

interface Config {
  cache: boolean;
  flag: boolean;
}

const KIND: ConfigKind<Config> = {
  initial: { cache: false, flag: false },
  reason: 'defaults',
  parse: (value) => {
    const v = value as Partial<Config> | null;
    return v && typeof v.cache === 'boolean' && typeof v.flag === 'boolean'
      ? { ok: true, value: { cache: v.cache, flag: v.flag } }
      : { ok: false, errors: ['cache: expected a boolean'] };
  },
};

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-config-'));
  file = path.join(dir, 'nested', 'config.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const withCache: Config = { cache: true, flag: false };
const withFlag: Config = { cache: true, flag: true };

describe('ConfigStore', () => {
  it('starts at version 1 with the initial config and persists it', () => {
    const store = ConfigStore.open(file, KIND);
    expect(store.live).toMatchObject({ version: 1, parent: null, config: KIND.initial, reason: 'defaults' });
    expect(fs.existsSync(file)).toBe(true);
  });

  it('versions every change and survives a reopen (a restart)', () => {
    const store = ConfigStore.open(file, KIND);
    store.apply(withCache, 'cache on');
    const reopened = ConfigStore.open(file, KIND);
    expect(reopened.live).toMatchObject({ version: 2, parent: 1, reason: 'cache on', config: withCache });
    expect(reopened.history().map((v) => v.version)).toEqual([1, 2]);
  });

  it('rolls back along the parents: twice walks two changes back', () => {
    const store = ConfigStore.open(file, KIND);
    store.apply(withCache, 'cache on');
    store.apply(withFlag, 'flag on');
    expect(store.rollback()).toMatchObject({ from: { version: 3 }, to: { version: 2 } });
    expect(store.rollback()).toMatchObject({ from: { version: 2 }, to: { version: 1 } });
    expect(ConfigStore.open(file, KIND).live.version).toBe(1);
    expect(() => store.rollback()).toThrow(ConfigRollbackError);
  });

  it('a change after a rollback derives from the version rolled back to', () => {
    const store = ConfigStore.open(file, KIND);
    store.apply(withFlag, 'bad');
    store.rollback();
    const entry = store.apply(withCache, 'cache on');
    expect(entry).toMatchObject({ version: 3, parent: 1 });
    expect(store.rollback().to.version).toBe(1);
  });

  it('refuses a damaged file with a message naming it', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"live": 1, "versions": [{"version": 1, "parent": null, "config": {"cache": 1}}]}');
    expect(() => ConfigStore.open(file, KIND)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: version 1: cache`));
    fs.writeFileSync(file, 'not json');
    expect(() => ConfigStore.open(file, KIND)).toThrow(/not valid JSON/);
    fs.writeFileSync(file, '{"live": 2, "versions": []}');
    expect(() => ConfigStore.open(file, KIND)).toThrow(/live version 2 is not in versions/);
  });
});
