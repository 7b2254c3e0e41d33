import { AnalysisEngine, type TargetSnapshot } from './analysis-engine';
import {
  StateHandover,
  parseTargetSnapshot,
  serializeTargetSnapshot,
  type HandoverLogger,
  type StateChangelog,
  type StateRecordInfo,
} from './state-handover';
import { BUCKET, spans } from './testing';

/** The changelog as the handover sees it: records by target, and what was published. */
class FakeChangelog implements StateChangelog {
  readonly owner = 'me';
  readonly records = new Map<string, StateRecordInfo & { snapshot: TargetSnapshot }>();
  readonly published: TargetSnapshot[] = [];

  info(target: string): StateRecordInfo | undefined {
    return this.records.get(target);
  }

  take(target: string): (StateRecordInfo & { snapshot: TargetSnapshot }) | undefined {
    const r = this.records.get(target);
    return r && r.owner !== this.owner ? r : undefined;
  }

  publish(snapshot: TargetSnapshot): Promise<boolean> {
    this.published.push(snapshot);
    return Promise.resolve(true);
  }
}

const T0 = 1_700_000_000_000;

function setup(localSavedAtMs?: number): {
  engine: AnalysisEngine;
  changelog: FakeChangelog;
  handover: StateHandover;
  clock: { now: number };
  lines: string[];
} {
  const lines: string[] = [];
  const clock = { now: T0 };
  const engine = new AnalysisEngine([], () => 'inc', { bucketMs: BUCKET });
  const changelog = new FakeChangelog();
  const logger: HandoverLogger = { info: (message) => lines.push(message), warn: (message) => lines.push(message) };
  const handover = new StateHandover(
    engine,
    changelog,
    logger,
    localSavedAtMs,
    { publishEveryMs: 30_000, lateAdoptionMs: 120_000 },
    () => clock.now,
  );
  return { engine, changelog, handover, clock, lines };
}

/** Another engine's state of `shop`, with the `buckets` buckets of traffic before `savedAtMs` in it. */
function stateOfShop(savedAtMs: number, buckets: number): TargetSnapshot {
  const other = new AnalysisEngine([], () => 'inc', { bucketMs: BUCKET });
  const start = savedAtMs - buckets * BUCKET;
  for (let i = 0; i < buckets; i++) {
    other.ingestSpans(
      'shop',
      spans(start + i * BUCKET, 10, () => 20),
      start + i * BUCKET,
    );
    other.tick(start + (i + 1) * BUCKET);
  }
  return other.snapshotTarget('shop', savedAtMs);
}

describe('StateHandover', () => {
  it('takes over a target another process published, unless its own snapshot is newer', () => {
    const fresh = setup();
    fresh.changelog.records.set('shop', { target: 'shop', owner: 'them', savedAtMs: T0, lastSeenMs: T0, snapshot: stateOfShop(T0, 5) });
    fresh.handover.beforeIngest('shop');
    expect(fresh.engine.snapshotTarget('shop', T0).series.length).toBeGreaterThan(0);
    expect(fresh.lines.some((l) => l.includes('took over the state of shop from them'))).toBe(true);

    // Restored from the data dir at T0 + 60 s: a record from T0 is older, the engine keeps its own.
    const restarted = setup(T0 + 60_000);
    restarted.engine.restoreTarget(stateOfShop(T0 + 60_000, 2));
    const own = restarted.engine.snapshotTarget('shop', T0).series.length;
    restarted.changelog.records.set('shop', { target: 'shop', owner: 'them', savedAtMs: T0, lastSeenMs: T0, snapshot: stateOfShop(T0, 5) });
    restarted.handover.beforeIngest('shop');
    expect(restarted.engine.snapshotTarget('shop', T0).series.length).toBe(own);
    expect(restarted.lines).toEqual([]);
  });

  it('moves a part’s state of a target with the engine’s: published in its record, restored on take-over, forgotten when it moves away', () => {
    const states = new Map<string, unknown>([['shop', { windows: [1, 2, 3] }]]);
    const part = {
      snapshot: (target: string): unknown => states.get(target),
      restore: (target: string, state: unknown): void => {
        if (typeof state !== 'object') throw new Error('not a state');
        states.set(target, state);
      },
      drop: (target: string): void => void states.delete(target),
    };
    const here = setup();
    here.handover.addPart('optimize', part);
    here.handover.beforeIngest('shop');
    here.engine.ingestSpans(
      'shop',
      spans(here.clock.now, 10, () => 20),
      here.clock.now,
    );
    return here.handover.publishDue(true).then(() => {
      const published = here.changelog.published[0]!;
      expect(published.parts).toEqual({ optimize: { windows: [1, 2, 3] } });
      expect(parseTargetSnapshot(serializeTargetSnapshot(published), 'shop').parts).toEqual({ optimize: { windows: [1, 2, 3] } });

      // Another replica takes the target over, with the part's state; a part state that does not restore is logged.
      states.clear();
      const there = setup();
      there.handover.addPart('optimize', part);
      there.changelog.records.set('shop', { target: 'shop', owner: 'them', savedAtMs: T0, lastSeenMs: T0, snapshot: published });
      there.handover.beforeIngest('shop');
      expect(states.get('shop')).toEqual({ windows: [1, 2, 3] });
      const broken = setup();
      broken.handover.addPart('optimize', part);
      broken.changelog.records.set('shop', {
        target: 'shop',
        owner: 'them',
        savedAtMs: T0,
        lastSeenMs: T0,
        snapshot: { ...published, parts: { optimize: 'x' } },
      });
      broken.handover.beforeIngest('shop');
      expect(broken.lines.some((l) => l.includes('the optimize state of shop from them does not restore'))).toBe(true);
      expect(broken.engine.targets()).toEqual(['shop']);

      // Its partition moves on: the part forgets the target with the engine.
      there.engine.ingestSpans(
        'shop',
        spans(T0, 10, () => 20),
        T0,
      );
      there.handover.onRecord({ target: 'shop', owner: 'others', savedAtMs: T0 + 1_000, lastSeenMs: T0 + 1_000 });
      expect(states.has('shop')).toBe(false);
    });
  });

  it("starts a target cold when another process's state of it does not restore, and keeps taking its telemetry", () => {
    const { engine, changelog, handover, clock, lines } = setup();
    const broken = stateOfShop(T0, 5);
    broken.series[0] = {
      ...broken.series[0]!,
      detector: { kind: 'no-such-detector' } as unknown as TargetSnapshot['series'][number]['detector'],
    };
    changelog.records.set('shop', { target: 'shop', owner: 'them', savedAtMs: T0, lastSeenMs: T0, snapshot: broken });
    handover.beforeIngest('shop');
    expect(lines.some((l) => l.includes('state of shop from them does not restore, starting cold'))).toBe(true);
    expect(engine.targets()).toEqual([]);
    engine.ingestSpans(
      'shop',
      spans(clock.now, 10, () => 20),
      clock.now,
    );
    expect(engine.targets()).toEqual(['shop']);
  });

  it('takes a previous owner’s state that arrives after the target started cold, within the late-adoption window only', () => {
    const { engine, changelog, handover, clock } = setup();
    handover.beforeIngest('shop');
    engine.ingestSpans(
      'shop',
      spans(clock.now, 10, () => 20),
      clock.now,
    );
    clock.now += 60_000;
    changelog.records.set('shop', {
      target: 'shop',
      owner: 'them',
      savedAtMs: T0 - 5_000,
      lastSeenMs: T0 - 5_000,
      snapshot: stateOfShop(T0 - 5_000, 8),
    });
    handover.onRecord({ target: 'shop', owner: 'them', savedAtMs: T0 - 5_000, lastSeenMs: T0 - 5_000 });
    // Its state now: first seen where the previous owner first saw it.
    expect(engine.snapshotTarget('shop', clock.now).firstSeenMs).toBe(T0 - 5_000 - 8 * BUCKET);

    const late = setup();
    late.handover.beforeIngest('shop');
    late.engine.ingestSpans(
      'shop',
      spans(late.clock.now, 10, () => 20),
      late.clock.now,
    );
    late.clock.now += 180_000;
    late.changelog.records.set('shop', {
      target: 'shop',
      owner: 'them',
      savedAtMs: T0 - 5_000,
      lastSeenMs: T0 - 5_000,
      snapshot: stateOfShop(T0 - 5_000, 8),
    });
    late.handover.onRecord({ target: 'shop', owner: 'them', savedAtMs: T0 - 5_000, lastSeenMs: T0 - 5_000 });
    // Three minutes on, its own state stays (first seen here), and it is not dropped: the record is older than its telemetry.
    expect(late.engine.targets()).toEqual(['shop']);
    expect(late.engine.snapshotTarget('shop', late.clock.now).firstSeenMs).toBe(T0);
  });

  it('drops a target another process had newer telemetry of, and ignores its own records', () => {
    const { engine, handover, clock } = setup();
    handover.beforeIngest('shop');
    engine.ingestSpans(
      'shop',
      spans(clock.now, 10, () => 20),
      clock.now,
    );
    handover.onRecord({ target: 'shop', owner: 'me', savedAtMs: clock.now + 1, lastSeenMs: clock.now + 1 });
    // Saved later, but from telemetry older than this process's: a replica that got a stray
    // message of the target after a rebalance publishes that; the target stays here.
    handover.onRecord({ target: 'shop', owner: 'them', savedAtMs: clock.now + 30_000, lastSeenMs: clock.now - 1 });
    expect(engine.targets()).toEqual(['shop']);
    handover.onRecord({ target: 'shop', owner: 'them', savedAtMs: clock.now + 30_000, lastSeenMs: clock.now + 1 });
    expect(engine.targets()).toEqual([]);
  });

  it('publishes the targets that had telemetry since their last publication, at most every interval', async () => {
    const { engine, changelog, handover, clock } = setup();
    for (const target of ['shop', 'billing']) {
      handover.beforeIngest(target);
      engine.ingestSpans(target, { ...spans(clock.now, 5, () => 20), resource: { attributes: { 'service.name': target } } }, clock.now);
    }
    expect(await handover.publishDue()).toBe(2);
    clock.now += 10_000;
    engine.ingestSpans(
      'shop',
      spans(clock.now, 5, () => 20),
      clock.now,
    );
    expect(await handover.publishDue()).toBe(0); // within the interval
    clock.now += 20_000;
    expect(await handover.publishDue()).toBe(1); // only shop had telemetry since
    expect(changelog.published.map((s) => s.target)).toEqual(['shop', 'billing', 'shop']);
    expect(await handover.publishDue(true)).toBe(0);
  });

  it("reads a record's value back as the target's state, and refuses another target's or another version", () => {
    const state = stateOfShop(T0, 3);
    const json = serializeTargetSnapshot(state);
    expect(parseTargetSnapshot(json, 'shop')).toEqual(state);
    expect(() => parseTargetSnapshot(json, 'billing')).toThrow('a version 1 snapshot of shop');
    expect(() => parseTargetSnapshot(JSON.stringify({ ...state, version: 2 }), 'shop')).toThrow('a version 2 snapshot of shop');
    expect(() => parseTargetSnapshot('not json', 'shop')).toThrow();
  });
});
