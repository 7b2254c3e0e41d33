import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonStateFile } from './state-file';

describe('JsonStateFile', () => {
  it('keeps the last of overlapping saves and reads it back', async () => {
    const file = new JsonStateFile<{ n: number }>(join(mkdtempSync(join(tmpdir(), 'state-')), 'sub', 'state.json'));
    expect(await file.load()).toBeUndefined();
    await Promise.all(Array.from({ length: 20 }, (_, n) => file.save({ n })));
    expect(await file.load()).toEqual({ n: 19 });
    expect(JSON.parse(await readFile(file.path, 'utf8'))).toEqual({ n: 19 });
  });
});
