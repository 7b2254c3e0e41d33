import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DecisionMade, IncidentOpened, IncidentResolved, OutcomeRecorded } from '@homeostat/contracts';
import { GATEWAY_LOOP_FILE, GatewayProcess, hotKeyLoopSpec, ZipfLoad } from './optimize-scenario';
import type { OptimizeDemoExperiment, OptimizeDemoRegimeReturn, OptimizeDemoReport, OptimizeDemoStep } from './optimize-report';
import { startOptimizeStack, type OptimizeStack } from './optimize-stack';
import { freePort } from './ports';

export interface OptimizeDemoOptions {
  dataDir: string;
  seed: number;
  /** Requests a second of the hot-key load. */
  rps: number;
  /** Per wait (a decision, an outcome). */
  timeoutMs: number;
  progress: (line: string) => void;
}

type Decision = DecisionMade;
/** Where a step's events start, and when it started (the loop resumed). */
interface Step {
  from: number;
  at: string;
}

type Outcome = OutcomeRecorded;

/**
 * `homeostat demo --loop optimize`: the embedded stack with the gateway's optimize loop (short
 * windows: `hotKeyLoopSpec`), the demo gateway and its upstream replicas in processes of their
 * own on loopback, and a seeded Zipf hot-key load from this process. Three steps: the loop's
 * search (a cache experiment on catalog, judged on its trial); a person rolls the cache back and
 * the same regime returns (its known-good config applied as it is); once more, with the catalog
 * replicas failing half their requests during the trial (a guard breaks: rolled back).
 */
export async function runOptimizeDemo(options: OptimizeDemoOptions): Promise<OptimizeDemoReport> {
  const { dataDir, progress, timeoutMs } = options;
  const port = await freePort();
  const gatewayUrl = `http://127.0.0.1:${port}`;
  let stack: OptimizeStack | undefined;
  let gateway: GatewayProcess | undefined;
  let load: ZipfLoad | undefined;
  try {
    progress('starting the stack (embedded) with the gateway-optimize loop (1 s buckets, 8 baseline and 8 trial buckets)');
    stack = await startOptimizeStack({
      dataDir,
      loopSpec: hotKeyLoopSpec(readFileSync(GATEWAY_LOOP_FILE, 'utf8')),
      gatewayUrl,
      group: 'optimize-demo',
    });
    const { events, url } = stack;
    progress(`console on ${url('console')}`);
    progress(`starting the demo gateway on ${gatewayUrl} and its upstream replicas (processes of their own)`);
    gateway = await GatewayProcess.start({ port, dataDir: path.join(dataDir, 'gateway'), otlpEndpoint: url('collector') });
    load = new ZipfLoad(gatewayUrl, options.rps, options.seed);
    load.start();
    progress(`hot-key load: ${options.rps} GET/s of /catalog/item-<k>, k ~ Zipf(1.2) over 100 keys (seed ${options.seed})`);

    const decisions = (from: number): Decision[] =>
      events
        .slice(from)
        .flatMap((e) => (e.type === 'homeostat.decision.made.v1' && (e.data as Decision).mode === 'execute' ? [e.data as Decision] : []));
    const outcomeOf = (decisionId: string): Outcome | undefined =>
      events
        .flatMap((e) => (e.type === 'homeostat.outcome.recorded.v1' ? [e.data as Outcome] : []))
        .find((o) => o.decisionId === decisionId);
    const opportunityAt = (incidentId: string, from: number): string | undefined =>
      events
        .slice(from)
        .find(
          (e) =>
            (e.type === 'homeostat.incident.opened.v1' || e.type === 'homeostat.incident.updated.v1') &&
            (e.data as IncidentOpened).incidentId === incidentId &&
            (e.data as IncidentOpened).optimize?.kind === 'opportunity',
        )?.time;

    /** One step: the next experiment decided after event `from`, then its outcome. */
    const experiment = async (
      step: OptimizeDemoStep,
      { from, at }: Step,
      during?: () => Promise<void>,
    ): Promise<[OptimizeDemoExperiment, Decision]> => {
      const decision = await until(() => decisions(from)[0], timeoutMs, `the ${step} experiment's decision`);
      const x = decision.experiment;
      if (!x) throw new Error(`decision ${decision.decisionId} of the optimize loop has no experiment`);
      progress(
        `${step}: ${decision.action?.name ?? '-'} on ${x.route} (${x.regime}): ${x.change}${x.knownGood ? ' — known-good config' : ''}`,
      );
      await during?.();
      const outcome = await until(() => outcomeOf(decision.decisionId), timeoutMs, `the ${step} experiment's outcome`);
      const r = outcome.experiment;
      const verdict = r === undefined ? 'failed' : r.kept ? 'kept' : r.guardBreach !== undefined ? 'rolled-back' : 'not-kept';
      // An opportunity still open when the loop resumed counts from the resume.
      const openedAt = opportunityAt(decision.incidentId, from) ?? at;
      const result: OptimizeDemoExperiment = {
        step,
        decisionId: decision.decisionId,
        route: x.route,
        regime: x.regime,
        knob: x.knob,
        change: x.change,
        knownGood: x.knownGood,
        chosenBecause: decision.explanation.chosenBecause,
        objective: x.objective,
        beforeMs: r?.baselineMedianMs ?? null,
        afterMs: r?.trialMedianMs ?? null,
        effectMs: r?.effectMs ?? null,
        effectLowMs: r?.effectLowMs ?? null,
        effectHighMs: r?.effectHighMs ?? null,
        pValue: r?.pValue ?? null,
        baselineBuckets: r?.baselineBuckets ?? 0,
        baselineWindow: r?.baselineWindow?.detail ?? null,
        trialBuckets: r?.trialBuckets ?? 0,
        guards: outcome.verification.checks
          .filter((c) => c.name === 'guard')
          .map((c) => ({ name: c.name, passed: c.passed, detail: c.detail ?? '' })),
        verdict,
        reason: r?.reason ?? outcome.verification.checks.map((c) => c.detail).join('; '),
        opportunityAt: openedAt,
        verdictAt: outcome.finishedAt,
        opportunityToVerdictMs: Date.parse(outcome.finishedAt) - Date.parse(openedAt),
      };
      progress(`${step}: ${verdict} — ${result.reason}`);
      return [result, decision];
    };

    const decidedAt = (decisionId: string): string =>
      events.find((e) => e.type === 'homeostat.decision.made.v1' && (e.data as Decision).decisionId === decisionId)?.time ?? '';
    const control = stack.control;
    const live = (): GatewayProcess => {
      if (!gateway) throw new Error('the gateway is not running');
      return gateway;
    };
    /**
     * What a person does: pauses the loop, rolls the catalog cache back when it is on, and resumes
     * the loop at once; the same regime is then back. The loop's next change waits for a baseline
     * the rolled-back config served alone (the executor's awaitCleanBaseline), so a cache
     * re-applied right away is not judged against buckets the cache served. Returns where the
     * step's events start (at the resume).
     */
    const personRollsBack = async (): Promise<Step> => {
      await control('pause', 'demo: a person rolls the cache back');
      if ((await live().config()).config.routes['catalog']?.cache.enabled) await live().rollback();
      progress('a person paused the loop, turned the catalog cache off and resumed it');
      const step = { from: events.length, at: new Date().toISOString() };
      await control('resume', 'demo: the same regime, uncached');
      return step;
    };

    const experiments: OptimizeDemoExperiment[] = [];
    const [searched, searchedDecision] = await experiment('search', { from: 0, at: new Date().toISOString() });
    experiments.push(searched);
    let regimeReturns: OptimizeDemoRegimeReturn | null = null;
    if (searched.verdict === 'kept') {
      // The regime returns once its opportunity has closed (an open one gets no second decision); the
      // decider goes to the config it saw kept, whether or not the learner's knowledge has reached it.
      await until(
        () =>
          events.find(
            (e) => e.type === 'homeostat.incident.resolved.v1' && (e.data as IncidentResolved).incidentId === searchedDecision.incidentId,
          ),
        timeoutMs,
        'the searched opportunity resolved',
      );
      const [returned, returnedDecision] = await experiment('regime-returns', await personRollsBack());
      experiments.push(returned);
      regimeReturns = {
        route: returned.route,
        regime: returned.regime,
        keptDecisionId: searched.decisionId,
        appliedDecisionId: returned.decisionId,
        sameConfig: JSON.stringify(returnedDecision.action?.params) === JSON.stringify(searchedDecision.action?.params),
        knownGood: returned.knownGood,
        chosenBecause: returned.chosenBecause,
        opportunityToAppliedMs: Date.parse(decidedAt(returned.decisionId)) - Date.parse(returned.opportunityAt),
      };
      progress('once more, and this time the catalog replicas fail half their requests during the trial');
      const [broken] = await experiment('guard-breaks', await personRollsBack(), () => live().fault('catalog', 0.5)).finally(() =>
        live()
          .fault('catalog', undefined)
          .catch(() => undefined),
      );
      experiments.push(broken);
    }
    return {
      seed: options.seed,
      rps: options.rps,
      gateway: gatewayUrl,
      experiments,
      regimeReturns,
      requestsSent: load.sent,
      requestsErrored: load.errors,
      requestsFailed: load.failed,
    };
  } finally {
    load?.stop();
    await gateway?.stop();
    await stack?.stop();
  }
}

async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
