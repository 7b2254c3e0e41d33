import { shapeId } from './template-id';
import { similarity, TemplateMiner } from './template-miner';

describe('TemplateMiner', () => {
  it('merges two lines that differ in one word into a template with a wildcard', () => {
    const miner = new TemplateMiner();
    const a = miner.add('Failed password for root from 10.0.0.1 port 22 ssh2');
    const b = miner.add('Failed password for admin from 10.0.0.2 port 2222 ssh2');
    expect(a.isNewTemplate).toBe(true);
    expect(a.template).toBe('Failed password for root from <*> port <*> ssh<*>');
    expect(b).toEqual({
      templateId: a.templateId,
      template: 'Failed password for <*> from <*> port <*> ssh<*>',
      params: ['admin', '10.0.0.2', '2222', 'ssh2'],
      isNewTemplate: false,
      changedTemplate: true,
    });
  });

  it('keeps different events apart', () => {
    const miner = new TemplateMiner();
    const a = miner.add('Received disconnect from 1.2.3.4: 11: Bye Bye [preauth]');
    const b = miner.add('Received disconnect from 1.2.3.4: 11: disconnected by user');
    const c = miner.add('Connection closed by 1.2.3.4 [preauth]');
    expect(new Set([a.templateId, b.templateId, c.templateId]).size).toBe(3);
  });

  it('keeps the id while the template generalises, and the id is the first shape', () => {
    const miner = new TemplateMiner();
    const first = miner.add('session opened for user alice by sshd');
    const ids = ['bob', 'carol', 'dave'].map((u) => miner.add(`session opened for user ${u} by sshd`).templateId);
    expect(ids).toEqual([first.templateId, first.templateId, first.templateId]);
    expect(first.templateId).toBe(shapeId(['session', 'opened', 'for', 'user', 'alice', 'by', 'sshd']));
    expect(miner.templates()).toEqual([
      { id: first.templateId, template: 'session opened for user <*> by sshd', count: 4, firstSeen: 1, lastSeen: 4 },
    ]);
  });

  it('keeps an event whose variables are words together once their positions have varied', () => {
    const miner = new TemplateMiner();
    const first = miner.add('new session user alice host alpha');
    expect(miner.add('new session user alice host beta').templateId).toBe(first.templateId);
    expect(miner.add('new session user bob host beta').template).toBe('new session user <*> host <*>');
    // Both words differ from every earlier line: 4 of 6 tokens agree (0.67 < 0.7), but the two
    // positions that disagree are the ones already seen to vary, so they are left out.
    expect(miner.add('new session user carol host gamma').templateId).toBe(first.templateId);
    expect(miner.add('new session denied to carol gamma').templateId).not.toBe(first.templateId);
  });

  it('generalises key=value to key=<*>', () => {
    const miner = new TemplateMiner();
    miner.add('login failed user=root tty=ssh reason=badpw');
    expect(miner.add('login failed user=guest tty=ssh reason=badpw').template).toBe('login failed user=<*> tty=ssh reason=badpw');
  });

  it('gives the same ids in the same order in two processes', () => {
    const lines = ['a 1', 'b x y', 'b z y', 'c 0x1f ok', '', 'b q y'];
    const run = (): string[] => {
      const m = new TemplateMiner();
      return lines.map((l) => m.add(l).templateId);
    };
    expect(run()).toEqual(run());
  });

  it('gives an empty line its own empty template', () => {
    const miner = new TemplateMiner();
    const a = miner.add('');
    expect(a.template).toBe('');
    expect(miner.add('  ').templateId).toBe(a.templateId);
  });

  it('matches without learning', () => {
    const miner = new TemplateMiner();
    expect(miner.match('disk full on /dev/sda1')).toBeUndefined();
    const a = miner.add('disk full on /dev/sda1');
    expect(miner.match('disk full on /dev/sdb2')?.templateId).toBe(a.templateId);
    expect(miner.stats.lines).toBe(1);
    expect(miner.templates()[0]?.count).toBe(1);
  });

  it('continues after snapshot and restore with the same ids and counts', () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i % 2 ? `job ${i} finished in ${i}ms` : `worker w${i % 5} started task t${i}`));
    const whole = new TemplateMiner();
    const expected = lines.map((l) => whole.add(l).templateId);

    const first = new TemplateMiner();
    const ids = lines.slice(0, 20).map((l) => first.add(l).templateId);
    const restored = TemplateMiner.restore(JSON.parse(JSON.stringify(first.snapshot())));
    ids.push(...lines.slice(20).map((l) => restored.add(l).templateId));
    expect(ids).toEqual(expected);
    expect(restored.templates()).toEqual(whole.templates());
    expect(restored.stats).toEqual(whole.stats);
  });

  it('stays within maxClusters under a flood of unique lines and counts what it drops', () => {
    const miner = new TemplateMiner({ maxClusters: 100 });
    for (let i = 0; i < 5_000; i++)
      miner.add(`${'w'.repeat(1 + (i % 40))}${String.fromCharCode(97 + (i % 26))} only ${'x'.repeat(1 + (i % 7))}${i % 3 ? 'y' : 'z'}`);
    const { stats } = miner;
    expect(stats.templates).toBeLessThanOrEqual(100);
    expect(stats.evicted).toBeGreaterThan(0);
    expect(stats.templates + stats.evicted).toBe(miner.templates().length + stats.evicted);
    expect(stats.droppedLines + miner.templates().reduce((s, t) => s + t.count, 0)).toBe(5_000);
    expect(miner.snapshot().clusters.length).toBeLessThanOrEqual(100);
  });

  it('bounds a crowded leaf and the tree under random words', () => {
    const miner = new TemplateMiner({ maxClustersPerLeaf: 16, maxChildren: 8 });
    let seed = 7;
    const word = (): string => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed.toString(36);
    };
    for (let i = 0; i < 3_000; i++) miner.add(`user ${word()} did ${word()} ${word()} on ${word()}`);
    // Length 7 → "user" → at most 8 named children + "<*>", each leaf ≤ 16 clusters.
    expect(miner.stats.templates).toBeLessThanOrEqual(9 * 16);
    expect(miner.stats.droppedLines + miner.templates().reduce((s, t) => s + t.count, 0)).toBe(3_000);
  });

  it('rejects a bad option with its name', () => {
    expect(() => new TemplateMiner({ similarityThreshold: 0 })).toThrow(/similarityThreshold/);
  });
});

describe('similarity', () => {
  it('leaves out positions where both hold a masked value', () => {
    expect(similarity(['a', '<*>', 'c'], ['a', '<*>', 'd'])).toBe(0.5);
    expect(similarity(['<*>', '<*>'], ['<*>', '[<*>]'])).toBe(1);
  });

  it('leaves out a template wildcard facing a word, but a template word facing a value disagrees', () => {
    expect(similarity(['<*>', 'b', 'c'], ['x', 'b', 'd'])).toBe(0.5);
    expect(similarity(['a', 'b', 'c'], ['<*>', 'b', 'd'])).toBe(1 / 3);
  });

  it('does not let an all-wildcard template take a line of words', () => {
    expect(similarity(['<*>', '<*>'], ['hello', 'world'])).toBe(0);
    expect(similarity(['<*>', '<*>'], ['<*>', '<*>'])).toBe(1);
  });
});
