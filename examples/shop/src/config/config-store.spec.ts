import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigRollbackError, ConfigStore } from './config-store';
import { DEFAULT_CONFIG } from './shop-config.schema';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-config-'));
  file = path.join(dir, 'nested', 'config.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const withCache = { ...DEFAULT_CONFIG, cache: { enabled: true, ttlSeconds: 30 } };
const withFlag = { ...withCache, features: { pricingV2: true } };

describe('ConfigStore', () => {
  it('starts at version 1 with the defaults and persists it', () => {
    const store = ConfigStore.open(file);
    expect(store.live).toMatchObject({ version: 1, parent: null, config: DEFAULT_CONFIG });
    expect(fs.existsSync(file)).toBe(true);
  });

  it('versions every change and survives a reopen (a restart)', () => {
    const store = ConfigStore.open(file);
    store.apply(withCache, 'cache on');
    const reopened = ConfigStore.open(file);
    expect(reopened.live).toMatchObject({ version: 2, parent: 1, reason: 'cache on', config: withCache });
    expect(reopened.history().map((v) => v.version)).toEqual([1, 2]);
  });

  it('rolls back along the parents: twice walks two changes back', () => {
    const store = ConfigStore.open(file);
    store.apply(withCache, 'cache on');
    store.apply(withFlag, 'pricing v2');
    expect(store.rollback()).toMatchObject({ from: { version: 3 }, to: { version: 2 } });
    expect(store.rollback()).toMatchObject({ from: { version: 2 }, to: { version: 1 } });
    expect(ConfigStore.open(file).live.version).toBe(1);
    expect(() => store.rollback()).toThrow(ConfigRollbackError);
  });

  it('a change after a rollback derives from the version rolled back to', () => {
    const store = ConfigStore.open(file);
    store.apply(withFlag, 'bad');
    store.rollback();
    const entry = store.apply(withCache, 'cache on');
    expect(entry).toMatchObject({ version: 3, parent: 1 });
    expect(store.rollback().to.version).toBe(1);
  });

  it('refuses a damaged file with a message naming it', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"live": 1, "versions": [{"version": 1, "parent": null, "config": {"cache": 1}}]}');
    expect(() => ConfigStore.open(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: version 1: cache`));
    fs.writeFileSync(file, 'not json');
    expect(() => ConfigStore.open(file)).toThrow(/not valid JSON/);
  });
});
