import { AnalysisEngine } from './analysis-engine';
import type { IncidentEvent } from './incident-events';
import { BUCKET, logs, rng, spans } from './testing';

describe('AnalysisEngine', () => {
  it('opens an incident for a latency spike with a pool-exhaustion log pattern, resolves it, and fingerprints the recurrence the same', () => {
    let n = 0;
    const engine = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET });
    const noise = rng(7);
    const events: IncidentEvent[] = [];
    let now = 1_700_000_000_000;
    const bucket = (fault: boolean): void => {
      const latency = fault ? () => 1800 + noise() * 400 : () => 20 + noise() * 10;
      engine.ingestSpans('shop', spans(now, 40, latency, fault ? 3 : 0), now);
      const lines = Array.from({ length: 10 }, (_, i) => ({ body: `GET /checkout 200 served in ${10 + i} ms`, severity: 9 }));
      if (fault)
        for (let i = 0; i < 15; i++)
          lines.push({ body: `timeout acquiring connection after ${5000 + i} ms (pool size 10, 10 in use)`, severity: 17 });
      engine.ingestLogs('shop', logs(now, lines), now);
      now += BUCKET;
      events.push(...engine.tick(now));
      // The clock runs on between buckets, as the ticker does.
      events.push(...engine.tick(now + BUCKET / 2));
    };

    for (let i = 0; i < 60; i++) bucket(false);
    expect(events).toEqual([]);
    for (let i = 0; i < 6; i++) bucket(true);
    for (let i = 0; i < 20; i++) bucket(false);
    for (let i = 0; i < 6; i++) bucket(true);
    for (let i = 0; i < 20; i++) bucket(false);

    const types = events.map((e) => e.type.split('.')[2]);
    expect(types.filter((t) => t === 'opened')).toHaveLength(2);
    expect(types.filter((t) => t === 'resolved')).toHaveLength(2);
    const opened = events.filter(
      (e): e is Extract<IncidentEvent, { type: 'homeostat.incident.opened.v1' }> => e.type === 'homeostat.incident.opened.v1',
    );
    const [first, second] = opened;
    expect(first!.data.fingerprint).toBe(second!.data.fingerprint);
    expect(first!.data.incidentId).not.toBe(second!.data.incidentId);
    expect(first!.data.evidence.series.map((s) => s.name)).toContain('span.duration.p95');
    expect(first!.data.evidence.logTemplates.map((t) => t.template).join(' ')).toMatch(/timeout acquiring connection/);
    expect(first!.data.evidence.failingSpans.length).toBeGreaterThan(0);
    expect(first!.data.hypothesis?.suspect).toEqual({ service: 'shop', component: 'db-pool' });
    expect(first!.data.severity).toBe('critical');
    const resolved = events.find((e) => e.type === 'homeostat.incident.resolved.v1');
    expect(resolved?.data).toMatchObject({
      incidentId: first!.data.incidentId,
      resolution: 'self-healed',
      fingerprint: first!.data.fingerprint,
    });
  });

  it('suspects a config change when errors start just after the target announced a new config version', () => {
    let n = 0;
    const engine = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET });
    const noise = rng(5);
    const events: IncidentEvent[] = [];
    let now = 1_700_000_000_000;
    const bucket = (fault: boolean, announce?: number): void => {
      const lines: { body: string; severity: number; attributes?: Record<string, number> }[] = Array.from({ length: 10 }, (_, i) => ({
        body: `GET /checkout 200 served in ${10 + i} ms`,
        severity: 9,
      }));
      if (announce !== undefined)
        lines.unshift({
          body: `config version ${announce} live: release 2.4.0`,
          severity: 9,
          attributes: { 'shop.config.version': announce },
        });
      engine.ingestLogs('shop', logs(now, lines), now);
      const message = 'PRICING_FAILED: pricing v2: price rule returned NaN (config version 2)';
      engine.ingestSpans(
        'shop',
        spans(now + 100, 40, () => 20 + noise() * 10, fault ? 3 : 0, message),
        now,
      );
      now += BUCKET;
      events.push(...engine.tick(now), ...engine.tick(now + BUCKET / 2));
    };
    // A version seen while the target is new says nothing; the one announced later is a change.
    bucket(false, 1);
    for (let i = 0; i < 60; i++) bucket(false);
    bucket(true, 2);
    for (let i = 0; i < 5; i++) bucket(true);

    const opened = events.find((e) => e.type === 'homeostat.incident.opened.v1');
    if (opened?.type !== 'homeostat.incident.opened.v1') throw new Error('expected an incident');
    expect(opened.data.hypothesis?.suspect).toEqual({ service: 'shop', component: 'config-change' });
    expect(opened.data.hypothesis?.components?.[0]?.reasons.join(' ')).toMatch(
      /shop\.config\.version changed from 1 to 2 \d+ s before the onset/,
    );
    expect(opened.data.hypothesis?.summary).toMatch(/^shop \(config-change\): config-change/);
  });

  it('continues after a snapshot and restore: the detectors stay warm and an open incident resolves', () => {
    let n = 0;
    const engine = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET });
    const noise = rng(11);
    let now = 1_700_000_000_000;
    const feed = (target: AnalysisEngine, fault: boolean): IncidentEvent[] => {
      target.ingestSpans('shop', spans(now, 40, fault ? () => 2000 + noise() * 100 : () => 20 + noise() * 10, fault ? 3 : 0), now);
      now += BUCKET;
      return [...target.tick(now), ...target.tick(now + BUCKET / 2)];
    };
    for (let i = 0; i < 40; i++) expect(feed(engine, false)).toEqual([]);
    const opened = [0, 1, 2, 3].flatMap(() => feed(engine, true)).filter((e) => e.type === 'homeostat.incident.opened.v1');
    expect(opened).toHaveLength(1);

    const restarted = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET });
    restarted.restore(JSON.parse(JSON.stringify(engine.snapshot(now))));
    const after = Array.from({ length: 12 }, () => feed(restarted, false)).flat();
    expect(after.map((e) => [e.type, e.data.incidentId])).toEqual([['homeostat.incident.resolved.v1', opened[0]!.data.incidentId]]);
  });

  it("moves one target's state to another engine: the incident continues there under its id, the rest stays", () => {
    let n = 0;
    const first = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET });
    const noise = rng(7);
    let now = 1_700_000_000_000;
    const feed = (target: AnalysisEngine, fault: boolean): IncidentEvent[] => {
      target.ingestSpans('shop', spans(now, 40, fault ? () => 2000 + noise() * 100 : () => 20 + noise() * 10, fault ? 3 : 0), now);
      target.ingestLogs('shop', logs(now, [{ body: `GET /checkout ok in ${Math.round(noise() * 30)} ms`, severity: 9 }]), now);
      now += BUCKET;
      return [...target.tick(now), ...target.tick(now + BUCKET / 2)];
    };
    // Another target on the same engine, which stays there.
    first.ingestSpans('billing', { ...spans(now, 10, () => 30), resource: { attributes: { 'service.name': 'billing' } } }, now);
    for (let i = 0; i < 40; i++) expect(feed(first, false)).toEqual([]);
    const opened = [0, 1, 2, 3].flatMap(() => feed(first, true)).filter((e) => e.type === 'homeostat.incident.opened.v1');
    expect(opened).toHaveLength(1);

    const moved = JSON.parse(JSON.stringify(first.snapshotTarget('shop', now))) as ReturnType<AnalysisEngine['snapshotTarget']>;
    expect(moved.series.every((s) => s.key.startsWith('shop|'))).toBe(true);
    expect(moved.templates.length).toBeGreaterThan(0);
    first.dropTarget('shop');
    expect(first.targets()).toEqual(['billing']);
    expect(first.lastSeenMs('shop')).toBeUndefined();
    // Dropped, not expired: nothing about the incident comes from the old engine any more.
    expect(first.tick(now + 60 * 60_000)).toEqual([]);

    const second = new AnalysisEngine([], () => `other-${++n}`, { bucketMs: BUCKET });
    second.restoreTarget(moved);
    expect(second.targets()).toEqual(['shop']);
    const after = Array.from({ length: 12 }, () => feed(second, false)).flat();
    // Warm detectors (no warm-up anomalies on normal traffic) and the same incident, resolved there.
    expect(after.map((e) => [e.type, e.data.incidentId])).toEqual([['homeostat.incident.resolved.v1', opened[0]!.data.incidentId]]);
    // A target's snapshot holds only its own keys.
    expect(() => second.restoreTarget({ ...moved, target: 'billing' })).toThrow(/holds shop\|/);
  });

  it('restores a version 1 snapshot (one miner for every target) target by target', () => {
    let n = 0;
    const engine = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET });
    const now = 1_700_000_000_000;
    engine.ingestSpans(
      'shop',
      spans(now, 40, () => 20),
      now,
    );
    engine.ingestLogs('shop', logs(now, [{ body: 'pool shop-db exhausted after 5000 ms', severity: 17 }]), now);
    engine.tick(now + 2 * BUCKET);
    const v2 = engine.snapshot(now + 2 * BUCKET);
    if (v2.version !== 2) throw new Error('expected a version 2 snapshot');
    const [shop] = v2.targets;
    const v1 = {
      version: 1 as const,
      savedAtMs: v2.savedAtMs,
      series: shop!.series,
      templates: shop!.templates,
      miner: shop!.miner,
      trackers: [{ target: 'shop', state: shop!.tracker }],
    };
    const restored = new AnalysisEngine([], () => `inc-${++n}`, { bucketMs: BUCKET });
    restored.restore(JSON.parse(JSON.stringify(v1)));
    const again = restored.snapshot(now + 2 * BUCKET);
    if (again.version !== 2) throw new Error('expected a version 2 snapshot');
    expect(again.targets.map((t) => [t.target, t.series.length, t.templates.length, t.miner.clusters.length])).toEqual([
      ['shop', shop!.series.length, shop!.templates.length, shop!.miner.clusters.length],
    ]);
  });
});
