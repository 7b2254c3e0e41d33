import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleDecisionMade } from '@homeostat/contracts/testing';
import { emptyExecutorState } from '@homeostat/execution';
import { ExecutorStateStore } from './executor-state.store';

describe('executor state store', () => {
  it('starts empty, and a saved state comes back after a restart', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'executor-state-')), 'executor', 'state.json');
    const store = new ExecutorStateStore(path);
    expect(await store.load()).toEqual(emptyExecutorState());
    const state = {
      pending: [
        {
          decision: { ...sampleDecisionMade(), mode: 'approval-required' as const },
          receivedAt: '2025-01-01T00:00:00.000Z',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        },
      ],
      killSwitch: { global: true, loops: ['shop-pool'] },
      verdicts: [{ decisionId: 'd-9', verdict: 'reject' as const, actor: 'a', reason: 'r', at: '2025-01-01T00:00:00.000Z' }],
    };
    // Saves in a row land in order: the last one wins.
    void store.save(emptyExecutorState());
    await store.save(state);
    expect(await new ExecutorStateStore(path).load()).toEqual(state);
  });

  it('refuses a damaged file with a message that says what to do', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'executor-state-')), 'state.json');
    await writeFile(path, JSON.stringify({ version: 1, pending: 'no' }));
    await expect(new ExecutorStateStore(path).load()).rejects.toThrow(/is not valid.*move it away/);
  });
});
