import { FingerprintCatalog, incidentFingerprint } from './fingerprint';
import { IncidentTracker, type DetectionSettings, type ScoredSignal } from './incident-tracker';

const settings: DetectionSettings = {
  sensitivity: 0.9,
  minSignals: 2,
  gatherForMs: 10_000,
  resolveAfterMs: 20_000,
  expireAfterMs: 300_000,
  updateEveryMs: 5_000,
};

function signal(name: string, score: number, extra: Partial<ScoredSignal> = {}): ScoredSignal {
  return {
    key: `shop|${name}|`,
    kind: 'series',
    name,
    labels: {},
    score,
    value: score > 0.9 ? 100 : 10,
    baseline: 10,
    direction: 'up',
    withinBaseline: score < 0.9,
    symptom: true,
    timestampMs: 0,
    ...extra,
  };
}

/** `overrides`: e.g. an incident that waits long for calm (the e2e suites' 90 s), so that it is still open. */
function newTracker(
  overrides: Partial<DetectionSettings> = {},
  catalog?: ConstructorParameters<typeof IncidentTracker>[3],
): IncidentTracker {
  let n = 0;
  return new IncidentTracker('shop', { ...settings, ...overrides }, () => `inc-${++n}`, catalog);
}

describe('IncidentTracker', () => {
  it('gathers evidence, opens once enough signals agree, updates, then resolves when all are back to baseline', () => {
    const t = newTracker();
    t.observe(signal('latency', 0.95), 0);
    expect(t.state).toBe('gathering');
    expect(t.tick(5_000)).toEqual([]);
    t.observe(signal('errors', 0.97), 6_000);
    const [opened] = t.tick(10_000);
    expect(opened?.type).toBe('opened');
    expect(opened?.incident.signals.map((s) => s.name)).toEqual(['latency', 'errors']);
    expect(opened?.incident.openedAtMs).toBe(0);

    t.observe(signal('pool', 0.99), 12_000);
    t.observe(signal('errors', 0.98), 12_000);
    expect(t.tick(14_000)).toEqual([]); // updates are rate-limited
    const [updated] = t.tick(16_000);
    expect(updated?.type).toBe('updated');
    expect(updated?.incident.fingerprint).toBe(opened?.incident.fingerprint);

    for (const name of ['latency', 'errors', 'pool']) t.observe(signal(name, 0.2), 20_000);
    expect(t.tick(30_000)).toEqual([]); // not yet resolveAfter since the last anomaly (12 s)
    const [resolved] = t.tick(32_000);
    expect(resolved).toMatchObject({ type: 'resolved', resolution: 'self-healed', resolvedAtMs: 32_000 });
    expect(t.state).toBe('quiet');
  });

  it('does not open on a single blip when two signals are required', () => {
    const t = newTracker();
    t.observe(signal('latency', 0.95), 0);
    t.observe(signal('latency', 0.96), 2_000);
    expect(t.tick(10_000)).toEqual([]);
    expect(t.state).toBe('quiet');
  });

  it("leaves out a blip that came before the failure: the window restarts at the failure, the fingerprint is the failure's", () => {
    const clean = newTracker();
    clean.observe(signal('latency', 0.95), 0);
    clean.observe(signal('errors', 0.95), 1_000);
    const [reference] = clean.tick(10_000);

    const t = newTracker();
    t.observe(signal('pool-gauge', 0.99), -8_000); // a blip…
    t.observe(signal('pool-gauge', 0.1), -6_000); // …back within its baseline at once
    t.observe(signal('latency', 0.95), 0); // the failure
    t.observe(signal('errors', 0.95), 1_000);
    expect(t.tick(2_000)).toEqual([]); // the blip's window is over, but the failure's is not
    expect(t.state).toBe('gathering');
    const [opened] = t.tick(10_000);
    expect(opened?.type).toBe('opened');
    expect(opened?.incident.signals.map((s) => s.name)).toEqual(['latency', 'errors']);
    expect(opened?.incident.openedAtMs).toBe(0);
    expect(opened?.incident.fingerprint).toBe(reference?.incident.fingerprint);
  });

  it('keeps a signal that is still outside its baseline, however long ago it first moved', () => {
    const t = newTracker();
    t.observe(signal('latency', 0.95), 0);
    t.observe(signal('latency', 0.5, { withinBaseline: false }), 8_000);
    t.observe(signal('errors', 0.95), 9_000);
    const [opened] = t.tick(10_000);
    expect(opened?.incident.signals.map((s) => s.name)).toEqual(['latency', 'errors']);
  });

  it('stays open while any signal is still outside its baseline', () => {
    const t = newTracker();
    t.observe(signal('latency', 0.95), 0);
    t.observe(signal('errors', 0.95), 0);
    t.tick(10_000);
    t.observe(signal('latency', 0.5), 11_000);
    t.observe(signal('errors', 0.5, { withinBaseline: false }), 11_000);
    expect(t.tick(60_000).map((x) => x.type)).toEqual([]);
  });

  it('continues an open incident after a snapshot and restore (a restart)', () => {
    const t = newTracker();
    t.observe(signal('latency', 0.95), 0);
    t.observe(signal('errors', 0.95), 0);
    const [opened] = t.tick(10_000);
    const restored = newTracker();
    restored.restore(JSON.parse(JSON.stringify(t.snapshot())));
    expect(restored.state).toBe('open');
    for (const name of ['latency', 'errors']) restored.observe(signal(name, 0.1), 12_000);
    const [resolved] = restored.tick(40_000);
    expect(resolved).toMatchObject({
      type: 'resolved',
      incident: { incidentId: opened!.incident.incidentId, fingerprint: opened!.incident.fingerprint },
    });
  });

  it('resolves once the symptoms are back, even if an internal measurement settled at a new level', () => {
    const t = newTracker();
    t.observe(signal('latency', 0.95, { symptom: true }), 0);
    t.observe(signal('pool.idle', 0.95, { symptom: false }), 0);
    t.tick(10_000);
    t.observe(signal('latency', 0.1, { symptom: true }), 11_000);
    t.observe(signal('pool.idle', 0.95, { symptom: false }), 11_000); // still far from its old level
    expect(t.tick(40_000)).toMatchObject([{ type: 'resolved', resolution: 'self-healed' }]);
  });

  it('is over when the signals it opened with are back, whatever joined later', () => {
    const t = newTracker();
    t.observe(signal('latency', 0.95, { symptom: true }), 0);
    t.observe(signal('errors', 0.95, { symptom: true }), 0);
    t.tick(10_000);
    t.observe(signal('probe.errors', 0.99, { symptom: true }), 12_000); // born during the incident
    for (const name of ['latency', 'errors']) t.observe(signal(name, 0.1, { symptom: true }), 13_000);
    t.observe(signal('probe.errors', 0.99, { symptom: true }), 14_000);
    expect(t.tick(40_000)).toMatchObject([
      { type: 'resolved', incident: { signals: expect.arrayContaining([expect.objectContaining({ name: 'probe.errors' })]) } },
    ]);
  });

  it('expires an incident whose target went silent', () => {
    const t = newTracker();
    t.observe(signal('latency', 0.95), 0);
    t.observe(signal('errors', 0.95), 0);
    t.tick(10_000);
    expect(t.tick(300_000)).toMatchObject([{ type: 'resolved', resolution: 'expired' }]);
  });

  it('gives two occurrences of the same failure the same fingerprint, whatever the order, values and instances', () => {
    const a = incidentFingerprint('shop', [
      { kind: 'series', name: 'span.duration.p95', labels: { route: 'GET /checkout', 'host.name': 'a' }, direction: 'up' },
      { kind: 'log', name: 'log.template.rate', labels: { template: 't-1' }, direction: 'up' },
    ]);
    const b = incidentFingerprint('shop', [
      { kind: 'log', name: 'log.template.rate', labels: { template: 't-1' }, direction: 'up' },
      { kind: 'series', name: 'span.duration.p95', labels: { route: 'GET /checkout', 'host.name': 'b' }, direction: 'up' },
    ]);
    const other = incidentFingerprint('shop', [
      { kind: 'series', name: 'span.duration.p95', labels: { route: 'GET /checkout' }, direction: 'down' },
    ]);
    expect(a).toBe(b);
    expect(a).toMatch(/^shop\/[0-9a-f]{16}$/);
    expect(other).not.toBe(a);
  });

  it('gives the same fingerprint whichever routes happened to cross their bounds, and another one for another dependency or template', () => {
    const latency = (route: string) => ({
      kind: 'series' as const,
      name: 'span.duration.p95',
      labels: { route },
      direction: 'up' as const,
    });
    const client = (peer: string) => ({
      kind: 'series' as const,
      name: 'http.client.request.duration.p95',
      labels: { 'peer.service': peer, 'http.response.status_code': '200' },
      direction: 'up' as const,
    });
    const first = incidentFingerprint('shop', [latency('GET /checkout'), client('inventory')]);
    const second = incidentFingerprint('shop', [
      latency('GET /stock'),
      latency('GET /catalog'),
      { ...client('inventory'), labels: { 'peer.service': 'inventory', 'http.response.status_code': '504' } },
    ]);
    expect(second).toBe(first);
    expect(incidentFingerprint('shop', [latency('GET /checkout'), client('payments')])).not.toBe(first);
    const log = (template: string) => ({ kind: 'log' as const, name: 'log.template.rate', labels: { template }, direction: 'up' as const });
    expect(incidentFingerprint('shop', [latency('GET /checkout'), log('t-1')])).not.toBe(
      incidentFingerprint('shop', [latency('GET /checkout'), log('t-2')]),
    );
  });

  it('puts the shapes of the errors failed requests showed into the fingerprint: seen twice, from one window before the first signal on', () => {
    const failing = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'GET /checkout', service: 'shop' };
    const openWith = (errors: [shape: string, atMs: number][]): string | undefined => {
      const t = newTracker();
      for (const [error, atMs] of errors) t.addFailingSpan({ ...failing, error }, atMs);
      t.observe(signal('errors', 0.97), 20_000);
      t.observe(signal('latency', 0.95), 21_000);
      return t.tick(30_000)[0]?.incident.fingerprint;
    };
    const none = openWith([]);
    const error = (name: string) => ({ kind: 'error' as const, name, labels: {}, direction: 'up' as const });
    const series = ['errors', 'latency'].map((name) => ({ kind: 'series' as const, name, labels: {}, direction: 'up' as const }));
    expect(none).toBe(incidentFingerprint('shop', series));
    // Before the gathering began (the requests whose failures made the error ratio anomalous): in.
    expect(
      openWith([
        ['E: pricing', 12_000],
        ['E: pricing', 19_000],
      ]),
    ).toBe(incidentFingerprint('shop', [...series, error('E: pricing')]));
    // Once only, or last seen twice more than a window before: out.
    expect(
      openWith([
        ['E: pricing', 19_000],
        ['E: stray', 19_500],
      ]),
    ).toBe(none);
    expect(
      openWith([
        ['E: old', 1_000],
        ['E: old', 9_000],
      ]),
    ).toBe(none);
  });

  it('founds a new kind on evidence with a symptom: causes alone wait up to one more window for what users feel', () => {
    const t = newTracker();
    const internal = { symptom: false };
    // A pool's gauges climb before requests time out: nothing known, nothing users feel yet.
    t.observe(signal('pool-used', 0.97, internal), 0);
    t.observe(signal('pool-pending', 0.97, internal), 0);
    expect(t.tick(10_000)).toEqual([]);
    t.observe(signal('errors', 0.97), 14_000);
    const [opened] = t.tick(14_000);
    expect(opened).toMatchObject({
      type: 'opened',
      incident: { signals: [{ name: 'pool-used' }, { name: 'pool-pending' }, { name: 'errors' }] },
    });
    // When no symptom comes, it opens at the end of the second window with what it has.
    const quiet = newTracker();
    quiet.observe(signal('queue-length', 0.97, internal), 0);
    quiet.observe(signal('pool-used', 0.97, internal), 0);
    expect(quiet.tick(19_500)).toEqual([]);
    expect(quiet.tick(20_000)).toMatchObject([{ type: 'opened' }]);
  });

  it('gathers for one more window when the evidence is between known kinds, and opens as soon as it is not', () => {
    const catalog = new FingerprintCatalog();
    const t = newTracker({}, catalog);
    const occurrence = (
      names: string[],
      startMs: number,
      late: [name: string, atMs: number][] = [],
    ): { fingerprint?: string; openedAt?: number } => {
      for (const name of names) t.observe(signal(name, 0.97), startMs);
      for (let now = startMs + 500; now <= startMs + 30_000; now += 500) {
        for (const [name, at] of late) if (at === now) t.observe(signal(name, 0.97), now);
        const [opened] = t.tick(now);
        if (opened?.type === 'opened') {
          for (const name of [...names, ...late.map(([l]) => l)]) t.observe(signal(name, 0.1), now + 1);
          t.tick(now + 60_000); // resolved: back to quiet for the next one
          return { fingerprint: opened.incident.fingerprint, openedAt: now - startMs };
        }
      }
      return {};
    };
    // Three kinds: a pool leak (twice), a bad config and a slow dependency, sharing generic signals.
    const leak = ['pool-used', 'pool-pending', 'errors', 'latency', 'timeout-log'];
    const pool = occurrence(leak, 100_000);
    expect(pool).toMatchObject({ openedAt: 10_000 });
    expect(occurrence(leak, 200_000)).toEqual(pool);
    const bad = occurrence(['errors', 'pricing-log'], 300_000);
    const slow = occurrence(['latency', 'client-latency'], 400_000);
    expect(new Set([pool.fingerprint, bad.fingerprint, slow.fingerprint]).size).toBe(3);
    // A pool gauge and the timeout counter alone: like the pool leak, not enough to be it. It
    // waits; the rest of the leak's evidence arrives 4 s into the second window, and it opens then, as the leak.
    expect(
      occurrence(['pool-used', 'pool-timeouts'], 500_000, [
        ['pool-pending', 514_000],
        ['timeout-log', 514_000],
      ]),
    ).toEqual({ fingerprint: pool.fingerprint, openedAt: 14_000 });
    // The error ratio and the latency are every kind's: when nothing more comes, it opens at the end of the second window with what it has.
    expect(occurrence(['errors', 'latency'], 600_000)).toMatchObject({ openedAt: 20_000 });
    // Evidence clearly one kind's opens after one window.
    expect(occurrence(['pool-used', 'pool-pending', 'errors', 'timeout-log'], 700_000)).toEqual({
      fingerprint: pool.fingerprint,
      openedAt: 10_000,
    });
  });

  describe('after the symptoms of an open incident all recovered', () => {
    /** An incident opened on latency and errors at 0–10 s, whose symptoms are back at 20 s (a fix took). */
    function fixed(): { t: IncidentTracker; fingerprint: string } {
      const t = newTracker();
      t.observe(signal('latency', 0.95), 0);
      t.observe(signal('errors', 0.95), 1_000);
      const [opened] = t.tick(10_000);
      for (const name of ['latency', 'errors']) t.observe(signal(name, 0.2), 20_000);
      expect(t.tick(20_000).filter((x) => x.type !== 'updated')).toEqual([]);
      return { t, fingerprint: opened!.incident.fingerprint };
    }

    it('given the same kind of failure again, then the incident stays open and its next update reports the relapse', () => {
      const { t, fingerprint } = fixed();
      t.observe(signal('latency', 0.96), 30_000);
      t.observe(signal('errors', 0.97), 31_000);
      expect(t.tick(35_000).filter((x) => x.type !== 'updated')).toEqual([]); // gathering the relapse's evidence
      const [updated] = t.tick(40_000);
      // When its symptoms were last failing: a fix verified while the relapse began does not hide it.
      expect(updated).toMatchObject({ type: 'updated', incident: { incidentId: 'inc-1', fingerprint, relapsedAtMs: 31_000 } });
      // Failing since the relapse began, not since the opening: the symptoms had calmed in between.
      expect(updated!.incident).toMatchObject({ failingSinceMs: 30_000 });
      expect(t.state).toBe('open');
    });

    it('given the same kind again, then the relapse is reported as soon as it is judged, not at the next periodic update', () => {
      const { t, fingerprint } = fixed();
      t.observe(signal('latency', 0.96), 30_000);
      t.observe(signal('errors', 0.97), 31_000);
      // An update (the symptoms failing) went out a moment ago.
      expect(t.tick(36_000)).toMatchObject([{ type: 'updated' }]);
      expect(t.tick(40_000)).toMatchObject([{ type: 'updated', incident: { fingerprint, relapsedAtMs: 31_000 } }]);
    });

    it('given another kind of failure, then the incident is resolved and one of its own kind opens, linked to it', () => {
      const { t, fingerprint } = fixed();
      const pool = { labels: { 'db.client.connection.state': 'used' }, symptom: false };
      t.observe(signal('errors', 0.97), 30_000);
      t.observe(signal('db.client.connection.count', 0.99, { ...pool, key: 'shop|pool|' }), 31_000);
      t.observe(signal('timeouts', 0.99), 32_000);
      t.addFailingSpan(
        { traceId: 't', spanId: 's1', name: 'GET /', service: 'shop', error: 'PoolTimeout: timeout acquiring connection' },
        33_000,
      );
      t.addFailingSpan(
        { traceId: 't', spanId: 's2', name: 'GET /', service: 'shop', error: 'PoolTimeout: timeout acquiring connection' },
        34_000,
      );
      // It shares a symptom with the incident's kind: gathered for up to one more window, as an opening would be.
      const transitions = [...t.tick(40_000), ...t.tick(50_000)].filter((x) => x.type !== 'updated');
      expect(transitions.map((x) => x.type)).toEqual(['resolved', 'opened']);
      expect(transitions[0]).toMatchObject({ incident: { incidentId: 'inc-1' }, resolution: 'self-healed' });
      const next = transitions[1]!.incident;
      expect(next).toMatchObject({ incidentId: 'inc-2', previousIncidentId: 'inc-1', openedAtMs: 30_000 });
      expect(next.fingerprint).not.toBe(fingerprint);
      expect(next.signals.map((x) => x.name).sort()).toEqual(['db.client.connection.count', 'errors', 'timeouts']);
      expect(next.failingSpans).toHaveLength(2);
      expect(t.state).toBe('open');
    });

    it('given another kind of failure, then it waits a second window for the evidence that tells kinds apart before it opens', () => {
      const { t, fingerprint } = fixed();
      // Its first window has a symptom and a cause that share nothing with the incident's kind:
      // enough to open, and not ambiguous.
      t.observe(signal('timeouts', 0.97), 30_000);
      t.observe(signal('db.client.connection.count', 0.99, { symptom: false }), 31_000);
      expect(t.tick(40_000).filter((x) => x.type !== 'updated')).toEqual([]);
      // What comes in the second window is part of the new incident's evidence and fingerprint.
      t.observe(signal('db.client.connection.pending_requests', 0.99, { symptom: false }), 44_000);
      const transitions = t.tick(50_000).filter((x) => x.type !== 'updated');
      expect(transitions.map((x) => x.type)).toEqual(['resolved', 'opened']);
      expect(transitions[1]!.incident.signals.map((x) => x.name).sort()).toEqual([
        'db.client.connection.count',
        'db.client.connection.pending_requests',
        'timeouts',
      ]);
      expect(transitions[1]!.incident.fingerprint).not.toBe(fingerprint);
    });

    it('given another kind whose first window looks like the incident kind, then the relapse is reported and then split off when its evidence says so', () => {
      const { t, fingerprint } = fixed();
      // Its first window: the incident's own symptoms, nothing else yet.
      t.observe(signal('latency', 0.96), 30_000);
      t.observe(signal('errors', 0.97), 31_000);
      const first = t.tick(40_000);
      expect(first).toMatchObject([{ type: 'updated', incident: { incidentId: 'inc-1', fingerprint, relapsedAtMs: 31_000 } }]);
      // What tells it apart arrives in the second window: a cause and an error of another kind.
      t.observe(signal('db.client.connection.count', 0.99, { symptom: false, key: 'shop|pool|' }), 42_000);
      t.observe(signal('timeouts', 0.99), 43_000);
      for (const [spanId, at] of [
        ['s1', 43_000],
        ['s2', 44_000],
      ] as const)
        t.addFailingSpan({ traceId: 't', spanId, name: 'GET /', service: 'shop', error: 'PoolTimeout: timeout acquiring connection' }, at);
      for (const name of ['latency', 'errors']) t.observe(signal(name, 0.97), 44_000);
      const transitions = t.tick(50_000).filter((x) => x.type !== 'updated');
      expect(transitions.map((x) => x.type)).toEqual(['resolved', 'opened']);
      expect(transitions[1]!.incident).toMatchObject({ incidentId: 'inc-2', previousIncidentId: 'inc-1', openedAtMs: 30_000 });
      expect(transitions[1]!.incident.fingerprint).not.toBe(fingerprint);
    });

    it('given the same kind again, then it is judged no more once its second window is over', () => {
      const { t, fingerprint } = fixed();
      t.observe(signal('latency', 0.96), 30_000);
      t.observe(signal('errors', 0.97), 31_000);
      expect(t.tick(40_000)).toMatchObject([{ type: 'updated', incident: { fingerprint, relapsedAtMs: 31_000 } }]);
      for (const name of ['latency', 'errors']) t.observe(signal(name, 0.97), 45_000);
      expect(t.tick(50_000).filter((x) => x.type !== 'updated')).toEqual([]);
      expect(t.snapshot().relapse).toBeUndefined();
      expect(t.current).toMatchObject({ incidentId: 'inc-1', fingerprint, relapsedAtMs: 31_000 });
    });

    it('given the same kind again healed within its second window, then it stays a relapse, not a blip', () => {
      const { t } = fixed();
      t.observe(signal('latency', 0.96), 30_000);
      t.observe(signal('errors', 0.97), 31_000);
      expect(t.tick(40_000)).toMatchObject([{ type: 'updated', incident: { relapsedAtMs: 31_000 } }]);
      for (const name of ['latency', 'errors']) t.observe(signal(name, 0.2), 41_000);
      t.tick(50_000);
      // The calm before the relapse is not given back: it failed since, from 30 s on.
      expect(t.snapshot()).toMatchObject({ incident: { relapsedAtMs: 31_000, failingSinceMs: 30_000 } });
      expect(t.snapshot().calmSinceMs).toBeUndefined();
    });

    it('given one symptom failing for a moment, then it is neither a relapse nor a new incident, and the incident resolves', () => {
      const { t } = fixed();
      t.observe(signal('latency', 0.96), 30_000);
      t.observe(signal('latency', 0.2), 32_000);
      // Its window is over and nothing of it is left: dropped, and the calm before it goes on.
      expect(t.tick(40_000).filter((x) => x.type !== 'updated')).toEqual([]);
      expect(t.snapshot().relapse).toBeUndefined();
      expect(t.tick(50_000)).toMatchObject([{ type: 'resolved', incident: { incidentId: 'inc-1' } }]);
    });

    it('given a blip, then a failure after its window, then the failure is a relapse: the blip does not hide it', () => {
      const t = newTracker({ resolveAfterMs: 90_000 });
      t.observe(signal('latency', 0.95), 0);
      t.observe(signal('errors', 0.95), 1_000);
      const [opened] = t.tick(10_000);
      for (const name of ['latency', 'errors']) t.observe(signal(name, 0.2), 20_000);
      t.tick(20_000);
      t.observe(signal('latency', 0.96), 30_000);
      t.observe(signal('latency', 0.2), 32_000);
      for (const at of [40_000, 45_000, 50_000]) expect(t.tick(at).filter((x) => x.type !== 'updated')).toEqual([]);
      // The same kind of failure, once the blip's windows are over.
      t.observe(signal('latency', 0.96), 55_000);
      t.observe(signal('errors', 0.97), 56_000);
      expect(t.tick(60_000).filter((x) => x.type !== 'updated')).toEqual([]);
      expect(t.tick(66_000)).toMatchObject([
        {
          type: 'updated',
          incident: { incidentId: 'inc-1', fingerprint: opened!.incident.fingerprint, relapsedAtMs: 56_000, failingSinceMs: 55_000 },
        },
      ]);
    });

    it('given a blip, then a failure within its window, then the window runs from the failure', () => {
      const { t, fingerprint } = fixed();
      t.observe(signal('latency', 0.96), 30_000);
      t.observe(signal('latency', 0.2), 32_000);
      // A cause and errors of another kind begin late in the blip's window.
      t.observe(signal('db.client.connection.count', 0.99, { symptom: false, key: 'shop|pool|' }), 38_000);
      t.observe(signal('timeouts', 0.99), 38_000);
      t.observe(signal('errors', 0.97), 39_000);
      expect(t.tick(40_000).filter((x) => x.type !== 'updated')).toEqual([]);
      // Not judged on two seconds of evidence: its own window began at 38 s.
      expect(t.tick(45_000).filter((x) => x.type !== 'updated')).toEqual([]);
      const transitions = [...t.tick(48_000), ...t.tick(58_000)].filter((x) => x.type !== 'updated');
      expect(transitions.map((x) => x.type)).toEqual(['resolved', 'opened']);
      expect(transitions[1]!.incident).toMatchObject({ previousIncidentId: 'inc-1', openedAtMs: 38_000 });
      expect(transitions[1]!.incident.fingerprint).not.toBe(fingerprint);
    });

    it('given symptoms back for less than half a gathering window, then a failure is the incident going on, not a relapse', () => {
      const { t } = fixed();
      t.observe(signal('latency', 0.96), 24_000);
      t.observe(signal('errors', 0.97), 24_000);
      expect(t.tick(40_000).filter((x) => x.type !== 'updated')).toEqual([]);
      expect(t.tick(50_000).filter((x) => x.type !== 'updated')).toEqual([]);
      expect(t.current).toMatchObject({ incidentId: 'inc-1' });
      expect(t.current?.relapsedAtMs).toBeUndefined();
    });

    it('given a symptom drifting just out of its band after the calm, then the failure that follows is still a relapse', () => {
      const t = newTracker({ resolveAfterMs: 90_000 });
      t.observe(signal('latency', 0.95), 0);
      t.observe(signal('errors', 0.95), 1_000);
      const [opened] = t.tick(10_000);
      for (const name of ['latency', 'errors']) t.observe(signal(name, 0.2), 20_000);
      t.tick(20_000);
      // Out of its band, not anomalous: a p95 a few ms above a tight band.
      t.observe(signal('latency', 0.5, { withinBaseline: false }), 28_000);
      t.tick(28_000);
      expect(t.snapshot()).toMatchObject({ calmSinceMs: 20_000 });
      t.observe(signal('latency', 0.96), 30_000);
      t.observe(signal('errors', 0.97), 31_000);
      expect(t.tick(41_000)).toMatchObject([
        {
          type: 'updated',
          incident: { incidentId: 'inc-1', fingerprint: opened!.incident.fingerprint, relapsedAtMs: 31_000, failingSinceMs: 30_000 },
        },
      ]);
    });

    describe('while a symptom of the incident has not calmed after its fix', () => {
      /** Opened on latency and errors at 0–10 s; at 20 s latency is back and errors are still out of their band, though no longer anomalous. */
      function uncalmed(): { t: IncidentTracker; fingerprint: string } {
        const t = newTracker();
        t.observe(signal('latency', 0.95), 0);
        t.observe(signal('errors', 0.95), 1_000);
        const [opened] = t.tick(10_000);
        t.observe(signal('latency', 0.2), 20_000);
        t.observe(signal('errors', 0.5, { withinBaseline: false }), 20_000);
        for (const at of [20_000, 30_000, 40_000]) t.tick(at);
        expect(t.snapshot().calmSinceMs).toBeUndefined();
        return { t, fingerprint: opened!.incident.fingerprint };
      }

      it('given another kind with symptoms of its own, then it is split off as an incident of its own', () => {
        const { t, fingerprint } = uncalmed();
        t.observe(signal('catalog-latency', 0.97), 45_000);
        t.observe(signal('downstream-latency', 0.99, { symptom: false }), 46_000);
        expect(t.tick(55_000).filter((x) => x.type !== 'updated')).toEqual([]); // another kind waits its second window
        t.observe(signal('catalog-latency', 0.97), 60_000);
        const transitions = t.tick(65_000).filter((x) => x.type !== 'updated');
        expect(transitions.map((x) => x.type)).toEqual(['resolved', 'opened']);
        expect(transitions[1]!.incident).toMatchObject({ previousIncidentId: 'inc-1', openedAtMs: 45_000 });
        expect(transitions[1]!.incident.fingerprint).not.toBe(fingerprint);
      });

      it('given the same kind on another route, then it is the incident going on: no relapse is reported', () => {
        const { t, fingerprint } = uncalmed();
        const route = { key: 'shop|latency|route=/b', labels: { route: '/b' } };
        t.observe(signal('latency', 0.97, route), 45_000);
        t.observe(signal('errors', 0.97), 46_000);
        t.observe(signal('latency', 0.97, route), 50_000);
        const transitions = [...t.tick(55_000), ...t.tick(65_000)];
        expect(transitions.filter((x) => x.type !== 'updated')).toEqual([]);
        expect(t.current).toMatchObject({ incidentId: 'inc-1', fingerprint });
        expect(t.current?.relapsedAtMs).toBeUndefined();
        expect(t.snapshot().relapse).toBeUndefined();
      });

      it('given a new symptom within the incident’s own first windows, then it is part of the incident', () => {
        const t = newTracker();
        t.observe(signal('latency', 0.95), 0);
        t.observe(signal('errors', 0.95), 1_000);
        t.tick(10_000);
        t.observe(signal('catalog-latency', 0.97), 15_000);
        expect(t.snapshot().relapse).toBeUndefined();
        expect(t.current?.signals.map((x) => x.name)).toContain('catalog-latency');
      });
    });

    it('continues a relapse from a snapshot', () => {
      const { t, fingerprint } = fixed();
      t.observe(signal('latency', 0.96), 30_000);
      t.observe(signal('errors', 0.97), 31_000);
      const restored = newTracker();
      restored.restore(JSON.parse(JSON.stringify(t.snapshot())) as ReturnType<IncidentTracker['snapshot']>);
      expect(restored.tick(40_000)).toMatchObject([{ type: 'updated', incident: { fingerprint, relapsedAtMs: 31_000 } }]);
    });
  });

  it('says in its updates when a symptom was last failing, while one is', () => {
    const t = newTracker();
    t.observe(signal('latency', 0.95), 0);
    t.observe(signal('errors', 0.95), 1_000);
    t.tick(10_000);
    t.observe(signal('errors', 0.97), 12_000);
    expect(t.tick(16_000)).toMatchObject([{ type: 'updated', incident: { failingAtMs: 12_000, failingSinceMs: 0 } }]);
    t.observe(signal('latency', 0.2), 18_000);
    t.observe(signal('errors', 0.2), 18_000);
    t.tick(22_000);
    expect(t.current).toMatchObject({ incidentId: 'inc-1' });
    expect(t.current?.failingAtMs).toBeUndefined();
  });

  it('counts a symptom that went past its band the other way (latency below normal) as recovered', () => {
    const t = newTracker();
    t.observe(signal('latency', 0.95), 0);
    t.observe(signal('errors', 0.95), 1_000);
    t.tick(10_000);
    t.observe(signal('latency', 0.99, { value: 1, direction: 'down', withinBaseline: false }), 12_000);
    t.observe(signal('errors', 0.2), 12_000);
    expect(t.tick(31_000)).toMatchObject([{ type: 'resolved', resolution: 'self-healed' }]);
  });
});
