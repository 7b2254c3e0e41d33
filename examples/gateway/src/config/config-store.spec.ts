import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultConfig, DEMO_TOPOLOGY } from '../topology';
import { openConfigStore } from './config-store';

// The store itself is tested in the example kit; here, that the gateway's opens on the config it is given and checks with its schema.
let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-config-'));
  file = path.join(dir, 'config.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const INITIAL = defaultConfig(DEMO_TOPOLOGY, {
  catalog: ['http://127.0.0.1:1'],
  pricing: ['http://127.0.0.1:2'],
  orders: ['http://127.0.0.1:3'],
});

describe("the gateway's config store", () => {
  it('starts at version 1 with the initial config and keeps a change across a reopen', () => {
    const store = openConfigStore(file, INITIAL);
    expect(store.live).toMatchObject({ version: 1, parent: null, config: INITIAL, reason: 'initial' });
    const withCache = structuredClone(INITIAL);
    withCache.routes['catalog']!.cache.enabled = true;
    store.apply(withCache, 'cache on');
    expect(openConfigStore(file, INITIAL).live).toMatchObject({ version: 2, config: withCache });
  });

  it('refuses a stored version its schema refuses, naming the file, the version and the field', () => {
    fs.writeFileSync(file, '{"live": 1, "versions": [{"version": 1, "parent": null, "config": {"routes": 1}}]}');
    expect(() => openConfigStore(file, INITIAL)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: version 1: routes`));
  });
});
