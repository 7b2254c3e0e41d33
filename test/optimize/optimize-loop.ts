import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryIdempotencyStore } from '@homeostat/bus';
import { freePort, GATEWAY_LOOP_FILE, GatewayProcess, hotKeyLoopSpec, serviceDefinitions, ZipfLoad } from '@homeostat/cli';
import { SERVICE_NAMES } from '@homeostat/config';
import type { AnyEnvelope, EventData } from '@homeostat/contracts';
import { runServices, type RunningStack } from '@homeostat/runtime';
import { JsonLogger } from '@homeostat/telemetry';
import { eventually, testConfig } from '../support';

type Decision = EventData<'homeostat.decision.made.v1'>;
type Outcome = EventData<'homeostat.outcome.recorded.v1'>;

/**
 * The optimize loop end to end, embedded or on Kafka, on real things: the demo gateway and its upstream
 * replicas in processes of their own on loopback, exporting OTLP to the stack's collector, under
 * hot-key (Zipf) traffic that rewards caching. The example loop, with shorter windows so the run
 * fits in about a minute: the cache experiment is decided, applied through the gateway's actuator,
 * judged on the trial's buckets and kept; the regime's known-good config is then applied straight
 * away when the same regime returns (after a person rolled the cache back), and rolled back at
 * once when a guard breaks (the catalog replicas start failing during its trial).
 *
 * The suite in one mode: embedded (in-process bus) or Kafka, the same stages either way. The
 * scenario (gateway process, loop spec, load) is the one `homeostat demo --loop optimize` plays.
 */
export function describeOptimizeLoop(mode: 'embedded' | 'kafka'): void {
  describe(`the optimize loop on the demo gateway (${mode})`, () => {
    let stack: RunningStack;
    let gateway: GatewayProcess;
    let gatewayUrl: string;
    let load: ZipfLoad;
    let dir: string;
    const events: AnyEnvelope[] = [];
    const decisions = (): Decision[] => events.flatMap((e) => (e.type === 'homeostat.decision.made.v1' ? [e.data] : []));
    const outcomes = (): Outcome[] => events.flatMap((e) => (e.type === 'homeostat.outcome.recorded.v1' ? [e.data] : []));
    const gatewayConfig = (): ReturnType<GatewayProcess['config']> => gateway.config();

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'optimize-'));
      const spec = hotKeyLoopSpec(await readFile(GATEWAY_LOOP_FILE, 'utf8'));
      await writeFile(join(dir, 'gateway-optimize.yaml'), spec);

      const port = await freePort();
      gatewayUrl = `http://127.0.0.1:${port}`;
      // The executor reads ${GATEWAY_URL} in action params from its environment at start.
      process.env['GATEWAY_URL'] = gatewayUrl;
      const database = `optimize_${randomUUID().slice(0, 8)}`;
      stack = await runServices(
        serviceDefinitions(SERVICE_NAMES),
        testConfig(mode, database, {
          HOMEOSTAT_LOOPS_DIR: dir,
          // The stages' own state (the decider's knowledge, the executor's claims) in this run's
          // directory: another suite of the same process must not hand it what it learnt.
          HOMEOSTAT_DATA_DIR: join(dir, 'stack'),
          CHDB_DIR: process.env['HOMEOSTAT_TEST_CHDB_DIR'] ?? '',
          ANALYZER_TICK_MS: '250',
          ...(mode === 'kafka' ? { HOMEOSTAT_TOPIC_PREFIX: `${database}.` } : {}),
        }),
        new JsonLogger('test', 'warn', () => undefined),
      );
      await stack.bus.subscribe({
        decode: 'event',
        group: 'optimize-watcher',
        topics: ['loop.incidents', 'loop.decisions', 'loop.outcomes', 'loop.knowledge'],
        retry: { maxAttempts: 1, backoffMs: 0 },
        idempotency: new MemoryIdempotencyStore(),
        handler: (e) => (events.push(e), Promise.resolve()),
      });
      const collector = stack.services.find((s) => s.name === 'collector')!.url;
      // The gateway compiles its TypeScript at start: on a loaded machine that took 48 s.
      gateway = await GatewayProcess.start({ port, dataDir: join(dir, 'gateway'), otlpEndpoint: collector, timeoutMs: 90_000 });
      load = new ZipfLoad(gatewayUrl, 45);
      load.start();
    }, 180_000);

    afterAll(async () => {
      if (process.env['OPTIMIZE_EVENTS_FILE'])
        await writeFile(
          process.env['OPTIMIZE_EVENTS_FILE'].replace('MODE', mode),
          JSON.stringify(events.map((e) => ({ type: e.type, time: e.time, data: e.data }))),
        );
      load?.stop();
      await gateway?.stop();
      await stack?.stop();
      delete process.env['GATEWAY_URL'];
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('keeps a cache experiment that lowered the median beyond noise, then rolls the regime’s known-good config back at once when a guard breaks', async () => {
      // 1. Hot keys, no cache: an opportunity on catalog, a cache experiment, kept.
      await eventually('the cache experiment decided', () => decisions().some((d) => d.mode === 'execute'), 45_000);
      const first = decisions().find((d) => d.mode === 'execute')!;
      expect(first).toMatchObject({
        loop: 'gateway-optimize',
        target: 'gateway',
        fingerprint: expect.stringMatching(/^optimize:catalog:rate=32-64,keys=hot,upstream=ok$/),
        action: {
          name: 'tune-cache',
          params: { method: 'PUT', url: '${GATEWAY_URL:-http://127.0.0.1:8000}/actuator/config' },
        },
        experiment: { route: 'catalog', knob: 'cache', knownGood: false, trialBuckets: 8, bucketMs: 1_000 },
      });
      expect(first.explanation.chosenBecause).toMatch(/Mann-Whitney/);
      await eventually('the cache experiment judged', () => outcomes().some((o) => o.decisionId === first.decisionId), 40_000);
      const kept = outcomes().find((o) => o.decisionId === first.decisionId)!;
      expect(kept).toMatchObject({ status: 'succeeded', applied: true, experiment: { kept: true } });
      expect(kept.experiment!.effectMs!).toBeGreaterThan(0);
      expect(kept.experiment!.trialMedianMs!).toBeLessThan(kept.experiment!.baselineMedianMs!);
      expect((await gatewayConfig()).config.routes['catalog']!.cache.enabled).toBe(true);

      // 2. A person rolls the cache back; the same regime returns and goes straight to its known-good
      //    config; the catalog replicas then fail half their requests during the trial: rolled back.
      // The regime returns once its opportunity has closed (the cache served it for resolveAfter), so
      // its return opens an incident of its own. No wait for the learner: the decider knows the
      // regime's config from the outcome it saw.
      await eventually(
        'the opportunity resolved',
        () => events.some((e) => e.type === 'homeostat.incident.resolved.v1' && e.data.incidentId === first.incidentId),
        20_000,
      );
      const before = decisions().length;
      await gateway.rollback();
      expect((await gatewayConfig()).config.routes['catalog']!.cache.enabled).toBe(false);
      await eventually(
        'the known-good config applied',
        () =>
          decisions()
            .slice(before)
            .some((d) => d.mode === 'execute'),
        45_000,
      );
      const second = decisions()
        .slice(before)
        .find((d) => d.mode === 'execute')!;
      expect(second).toMatchObject({
        fingerprint: first.fingerprint,
        action: { name: 'tune-cache', params: first.action!.params },
        experiment: { knownGood: true },
        explanation: { chosenBecause: expect.stringMatching(/known-good config of this regime/) },
      });
      await gateway.fault('catalog', 0.5);
      try {
        await eventually('the broken experiment rolled back', () => outcomes().some((o) => o.decisionId === second.decisionId), 30_000);
      } finally {
        await gateway.fault('catalog', undefined);
      }
      const rolledBack = outcomes().find((o) => o.decisionId === second.decisionId)!;
      expect(rolledBack).toMatchObject({
        status: 'rolled-back',
        rollback: { action: { name: 'rollback-config' }, status: 'succeeded' },
        experiment: { kept: false, guardBreach: expect.stringMatching(/error ratio/) },
      });
      // Rolled back well within the trial window: the guard broke at once.
      expect(Date.parse(rolledBack.finishedAt) - Date.parse(rolledBack.startedAt)).toBeLessThan(8_000 + 3_000);
      expect((await gatewayConfig()).config.routes['catalog']!.cache.enabled).toBe(false);
      expect(load.sent).toBeGreaterThan(1_000);
      // What was measured, for whoever reads the run.
      console.log(`${mode}: kept — ${kept.experiment!.reason}; rolled back — ${rolledBack.experiment!.reason}`);
    });
  });
}
