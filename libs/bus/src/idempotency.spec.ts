import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileIdempotencyStore, MemoryIdempotencyStore } from './idempotency';

describe('MemoryIdempotencyStore', () => {
  it('forgets the oldest ids beyond its capacity', async () => {
    const store = new MemoryIdempotencyStore(3);
    for (const id of ['a', 'b', 'c', 'd']) await store.add(id);
    expect(await store.has('a')).toBe(false);
    expect(await store.has('b')).toBe(true);
    expect(await store.has('d')).toBe(true);
    expect(store.size).toBe(3);
  });
});

describe('FileIdempotencyStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'idem-'));
  });

  it('remembers ids across a reopen', async () => {
    const path = join(dir, 'g.ids');
    const first = await FileIdempotencyStore.open(path, 1000);
    await Promise.all(['a', 'b', 'c'].map((id) => first.add(id)));
    await first.close();
    const second = await FileIdempotencyStore.open(path, 1000);
    expect(await second.has('b')).toBe(true);
    expect(await second.has('z')).toBe(false);
    await second.close();
  });

  it('ignores a torn last line (a crash in the middle of an append)', async () => {
    const path = join(dir, 'g.ids');
    const store = await FileIdempotencyStore.open(path, 1000);
    await store.add('complete');
    await store.close();
    await appendFile(path, 'tor');
    const reopened = await FileIdempotencyStore.open(path, 1000);
    expect(await reopened.has('complete')).toBe(true);
    expect(await reopened.has('tor')).toBe(false);
    await reopened.add('next');
    await reopened.close();
    expect((await readFile(path, 'utf8')).split('\n').filter(Boolean)).toEqual(['complete', 'next']);
  });

  it('keeps the file bounded by rewriting it with the retained ids', async () => {
    const path = join(dir, 'g.ids');
    const store = await FileIdempotencyStore.open(path, 5);
    for (let i = 0; i < 40; i++) await store.add(`id-${i}`);
    await store.close();
    const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(lines).toContain('id-39');
    const reopened = await FileIdempotencyStore.open(path, 5);
    expect(await reopened.has('id-39')).toBe(true);
    expect(await reopened.has('id-0')).toBe(false);
    await reopened.close();
  });
});
