import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openConfigStore } from './config-store';
import { DEFAULT_CONFIG } from './shop-config.schema';

// The store itself is tested in the example kit; here, that the shop's opens on its defaults and checks with its schema.
let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-config-'));
  file = path.join(dir, 'config.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the shop's config store", () => {
  it('starts at version 1 with the defaults and keeps a change across a reopen', () => {
    const store = openConfigStore(file);
    expect(store.live).toMatchObject({ version: 1, parent: null, config: DEFAULT_CONFIG, reason: 'defaults' });
    store.apply({ ...DEFAULT_CONFIG, cache: { enabled: true, ttlSeconds: 30 } }, 'cache on');
    expect(openConfigStore(file).live).toMatchObject({ version: 2, config: { cache: { enabled: true, ttlSeconds: 30 } } });
  });

  it('refuses a stored version its schema refuses, naming the file, the version and the field', () => {
    fs.writeFileSync(file, '{"live": 1, "versions": [{"version": 1, "parent": null, "config": {"cache": 1}}]}');
    expect(() => openConfigStore(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: version 1: cache`));
  });
});
