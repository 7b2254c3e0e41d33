import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionCall, DecisionMade } from '@homeostat/contracts';
import { sampleDecisionMade } from '@homeostat/contracts/testing';
import { ClaimJournalStore } from './claim-journal.store';

const decision = (id: string): DecisionMade & { action: ActionCall } => ({
  ...sampleDecisionMade(),
  decisionId: id,
  action: { name: 'raise-limit', adapter: 'http', params: { method: 'PUT', url: 'http://shop/config' } },
});

describe('ClaimJournalStore', () => {
  it('keeps each claim with its steps across a reopen; finished claims are no longer unfinished', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claims-'));
    const path = join(dir, 'claims.jsonl');
    const first = await ClaimJournalStore.open(path);
    await first.record({ id: 'a', phase: 'claimed', at: '2026-03-02T10:00:00.000Z', decision: decision('a'), traceparent: '00-x-y-01' });
    await first.record({ id: 'a', phase: 'calling', startedAt: '2026-03-02T10:00:00.100Z', deadline: '2026-03-02T10:01:00.100Z' });
    await first.record({
      id: 'a',
      phase: 'answered',
      answer: { accepted: true, status: 200, latencyMs: 4, detail: 'ok', memo: { previousReplicas: 3 } },
    });
    await first.record({ id: 'b', phase: 'claimed', at: '2026-03-02T10:00:01.000Z', decision: decision('b') });
    await first.record({ id: 'b', phase: 'finished' });
    await expect(first.record({ id: 'a', phase: 'claimed', at: 'x', decision: decision('a') })).rejects.toThrow('already claimed');
    await first.close();

    const second = await ClaimJournalStore.open(path);
    expect(await second.has('a')).toBe(true);
    expect(await second.has('b')).toBe(true);
    expect(await second.has('c')).toBe(false);
    expect(second.unfinished()).toEqual([
      {
        decision: decision('a'),
        traceparent: '00-x-y-01',
        claimedAt: '2026-03-02T10:00:00.000Z',
        call: { startedAt: '2026-03-02T10:00:00.100Z', deadline: '2026-03-02T10:01:00.100Z' },
        answer: { accepted: true, status: 200, latencyMs: 4, detail: 'ok', memo: { previousReplicas: 3 } },
        finished: false,
      },
    ]);
    await second.close();
  });

  it('drops a last line torn by a crash mid-append, and still counts ids claimed by the older claims.ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claims-'));
    const path = join(dir, 'claims.jsonl');
    const store = await ClaimJournalStore.open(path);
    await store.record({ id: 'a', phase: 'claimed', at: '2026-03-02T10:00:00.000Z', decision: decision('a') });
    await store.close();
    await appendFile(path, '{"id":"a","phase":"calli');
    await writeFile(join(dir, 'claims.ids'), 'old-1\nold-2\n');
    const reopened = await ClaimJournalStore.open(path, { legacyIdsPath: join(dir, 'claims.ids') });
    expect(reopened.unfinished().map((c) => [c.decision.decisionId, c.call])).toEqual([['a', undefined]]);
    expect(await reopened.has('old-2')).toBe(true);
    await expect(reopened.record({ id: 'old-1', phase: 'claimed', at: 'x', decision: decision('old-1') })).rejects.toThrow(
      'already claimed',
    );
    expect((await readFile(path, 'utf8')).endsWith('\n')).toBe(true);
    await reopened.close();
  });

  it('in one batch: a second claim of an id is refused, a step of a claim not yet synced is taken', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claims-'));
    const store = await ClaimJournalStore.open(join(dir, 'claims.jsonl'));
    const claimed = store.record({ id: 'a', phase: 'claimed', at: '2026-03-02T10:00:00.000Z', decision: decision('a') });
    const again = store.record({ id: 'a', phase: 'claimed', at: '2026-03-02T10:00:00.000Z', decision: decision('a') });
    const calling = store.record({
      id: 'a',
      phase: 'calling',
      startedAt: '2026-03-02T10:00:00.000Z',
      deadline: '2026-03-02T10:00:01.000Z',
    });
    await expect(again).rejects.toThrow('already claimed');
    await claimed;
    await calling;
    await expect(store.record({ id: 'b', phase: 'calling', startedAt: 'x', deadline: 'y' })).rejects.toThrow('not claimed');
    expect(store.unfinished().map((c) => c.call?.deadline)).toEqual(['2026-03-02T10:00:01.000Z']);
    await store.close();
  });

  it('refuses a journal line it cannot read, naming the file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claims-'));
    const path = join(dir, 'claims.jsonl');
    await writeFile(path, '{"id":"a","phase":"calling"}\n');
    await expect(ClaimJournalStore.open(path)).rejects.toThrow(`${path} line 1 is not a claim entry`);
  });
});
