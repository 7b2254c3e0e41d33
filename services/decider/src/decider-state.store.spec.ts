import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialPolicyState, type PolicyState } from '@homeostat/policy';
import { DeciderStateStore } from './decider-state.store';

describe('DeciderStateStore', () => {
  let dataDir: string;
  const file = (): string => join(dataDir, 'decider', 'state.json');
  const write = async (value: unknown): Promise<void> => {
    await mkdir(join(dataDir, 'decider'), { recursive: true });
    await writeFile(file(), JSON.stringify(value));
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'decider-state-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('given no file, then there is nothing to restore', async () => {
    expect(await new DeciderStateStore(dataDir).restore()).toBeUndefined();
  });

  it('given a saved state, when restored, then it is the same state', async () => {
    const state: PolicyState = { ...initialPolicyState(), evictedCases: 2 };
    await new DeciderStateStore(dataDir).save(state);
    expect(await new DeciderStateStore(dataDir).restore()).toMatchObject({ state, warn: false });
  });

  it('given a version 1 snapshot, when restored, then its policy and open cases are migrated and it says so', async () => {
    const { cases: _cases, evictedCases: _evicted, ...policy } = initialPolicyState();
    const incident = {
      incidentId: 'inc-1',
      fingerprint: 'f',
      target: 'shop',
      severity: 'high',
      title: 't',
      evidence: { series: [], logTemplates: [], failingSpans: [] },
    };
    await write({
      version: 1,
      policy: { ...policy, autonomy: { 'f|restart': 'auto' } },
      cases: {
        'inc-1': {
          loop: 'shop-heal',
          incident,
          attempts: [{ decisionId: 'd-1', action: 'restart', status: 'pending' }],
          deadlines: { 'd-1': 42 },
          retryAt: 7,
        },
      },
    });
    const restored = await new DeciderStateStore(dataDir).restore();
    expect(restored?.warn).toBe(true);
    expect(restored?.message).toContain('migrated from snapshot version 1 to 2 (1 open case(s))');
    expect(restored?.state).toEqual({
      ...initialPolicyState(),
      autonomy: { 'f|restart': 'auto' },
      cases: {
        'inc-1': {
          loop: 'shop-heal',
          incident,
          openedAt: 0,
          attempts: [{ decisionId: 'd-1', action: 'restart', status: 'pending' }],
          outcomeDeadlines: { 'd-1': 42 },
          retryAt: 7,
        },
      },
      evictedCases: 0,
    });
  });

  it('given a snapshot of a version it does not read, when restored, then it is moved aside and the decider starts empty', async () => {
    await write({ version: 9, anything: true });
    const restored = await new DeciderStateStore(dataDir).restore();
    expect(restored).toMatchObject({ state: initialPolicyState(), warn: true });
    expect(restored?.message).toContain('version 9, which this decider does not read');
    expect(JSON.parse(await readFile(`${file()}.unreadable-v9`, 'utf8'))).toEqual({ version: 9, anything: true });
    expect(await new DeciderStateStore(dataDir).restore()).toBeUndefined();
  });
});
