import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigRollbackError, ConfigStore } from './config-store';
import { defaultConfig, DEMO_TOPOLOGY } from '../topology';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-config-'));
  file = path.join(dir, 'nested', 'config.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const DEFAULT_CONFIG = defaultConfig(DEMO_TOPOLOGY, {
  catalog: ['http://127.0.0.1:1'],
  pricing: ['http://127.0.0.1:2'],
  orders: ['http://127.0.0.1:3'],
});
const withCache = structuredClone(DEFAULT_CONFIG);
withCache.routes['catalog']!.cache.enabled = true;
const withFlag = structuredClone(withCache);
withFlag.upstreams['catalog']!.balancer = 'p2c-ewma';

describe('ConfigStore', () => {
  it('starts at version 1 with the defaults and persists it', () => {
    const store = ConfigStore.open(file, DEFAULT_CONFIG);
    expect(store.live).toMatchObject({ version: 1, parent: null, config: DEFAULT_CONFIG });
    expect(fs.existsSync(file)).toBe(true);
  });

  it('versions every change and survives a reopen (a restart)', () => {
    const store = ConfigStore.open(file, DEFAULT_CONFIG);
    store.apply(withCache, 'cache on');
    const reopened = ConfigStore.open(file, DEFAULT_CONFIG);
    expect(reopened.live).toMatchObject({ version: 2, parent: 1, reason: 'cache on', config: withCache });
    expect(reopened.history().map((v) => v.version)).toEqual([1, 2]);
  });

  it('rolls back along the parents: twice walks two changes back', () => {
    const store = ConfigStore.open(file, DEFAULT_CONFIG);
    store.apply(withCache, 'cache on');
    store.apply(withFlag, 'p2c');
    expect(store.rollback()).toMatchObject({ from: { version: 3 }, to: { version: 2 } });
    expect(store.rollback()).toMatchObject({ from: { version: 2 }, to: { version: 1 } });
    expect(ConfigStore.open(file, DEFAULT_CONFIG).live.version).toBe(1);
    expect(() => store.rollback()).toThrow(ConfigRollbackError);
  });

  it('a change after a rollback derives from the version rolled back to', () => {
    const store = ConfigStore.open(file, DEFAULT_CONFIG);
    store.apply(withFlag, 'bad');
    store.rollback();
    const entry = store.apply(withCache, 'cache on');
    expect(entry).toMatchObject({ version: 3, parent: 1 });
    expect(store.rollback().to.version).toBe(1);
  });

  it('refuses a damaged file with a message naming it', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"live": 1, "versions": [{"version": 1, "parent": null, "config": {"routes": 1}}]}');
    expect(() => ConfigStore.open(file, DEFAULT_CONFIG)).toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: version 1: routes`),
    );
    fs.writeFileSync(file, 'not json');
    expect(() => ConfigStore.open(file, DEFAULT_CONFIG)).toThrow(/not valid JSON/);
  });
});
