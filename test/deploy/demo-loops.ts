import {
  createEnvelope,
  topicOfType,
  type AnyEnvelope,
  type EventData,
  type EventType,
  type Experiment,
  type ExperimentResult,
} from '@homeostat/contracts';
import { sampleIncidentOpened } from '@homeostat/contracts/testing';

/**
 * The other two kinds of loop in the demo ledger, as their stages publish them (DESIGN.md, "Three
 * kinds of loop"): a repair loop whose failed builds are diagnosed, fixed and validated (the first
 * failure of a signature tries a fix that does not pass before the one that does; its next occurrence,
 * in another repository, goes straight to it), and an optimize loop's experiments on a gateway's
 * routes (kept, rolled back by a guard or for noise, and a regime's known-good config reused).
 */
export const DEMO_REPAIR_LOOP = 'connector-ci';
export const DEMO_OPTIMIZE_LOOP = 'gateway';

export type Emit = <T extends EventType>(type: T, timeMs: number, data: EventData<T>, source: string, subject: string) => void;

const iso = (ms: number): string => new Date(ms).toISOString();
const EVIDENCE = { series: [], logTemplates: [], failingSpans: [] };

const REPAIRS = [
  {
    signature: 'toolchain|EBADENGINE|engine-node',
    category: 'toolchain',
    repository: '/srv/git/connector-app.git',
    culprit: { name: '@acme/connector', from: '1.4.2', to: '2.0.0' },
    tries: [
      { recipe: 'move-dependency', to: '1.5.0', passes: false },
      { recipe: 'revert-update', to: '1.4.2', passes: true },
    ],
  },
  {
    signature: 'test|assertion|connector-api',
    category: 'test',
    repository: '/srv/git/connector-app.git',
    culprit: { name: '@acme/settings', from: '3.1.0', to: '4.0.0' },
    tries: [{ recipe: 'revert-update', to: '3.1.0', passes: true }],
  },
  {
    signature: 'toolchain|EBADENGINE|engine-node',
    category: 'toolchain',
    repository: '/srv/git/billing-app.git',
    culprit: { name: '@acme/queue', from: '0.9.1', to: '1.0.0' },
    tries: [{ recipe: 'revert-update', to: '0.9.1', passes: true }],
  },
] as const;

export function repairMessages(emit: Emit, start: number): void {
  const target = 'connector-app';
  REPAIRS.forEach((failure, n) => {
    const opened = start + n * 20 * 60_000;
    const incidentId = `build-${n + 1}`;
    const branch = `deps/${failure.culprit.name.replace('@acme/', '')}-${failure.culprit.to}`;
    const commit = `${(n + 1).toString(16).padStart(2, '0')}${'c'.repeat(38)}`;
    const fixes = failure.tries.map((t, i) => ({
      id: `${t.recipe}:${failure.culprit.name}@${t.to}`,
      recipe: t.recipe,
      title: `${t.recipe === 'revert-update' ? 'Revert' : 'Move'} ${failure.culprit.name} to ${t.to}`,
      explanation: [`${t.to} accepts the project's node`],
      prior: 0.7 - i * 0.1,
      files: [{ path: 'package.json', content: `{"dependencies":{"${failure.culprit.name}":"${t.to}"}}\n` }],
      regenerate: [['npm', 'install', '--package-lock-only', '--ignore-scripts']],
      message: `fix(deps): ${failure.culprit.name} ${t.to}`,
    }));
    const buildFailure = {
      repository: failure.repository,
      branch,
      commit,
      baseBranch: 'main',
      pipeline: 'ci',
      job: 'test',
      reasonLines: [[40, 42]] as [number, number][],
      reasonText: ['npm error code EBADENGINE', `npm error notsup Not compatible with your version of node/npm: ${failure.culprit.name}`],
      category: failure.category,
      signature: failure.signature,
      culprit: { ...failure.culprit, evidence: [`the log names ${failure.culprit.name} (score 0.9)`] },
      similar: [],
      fixes,
      notes: [],
    };
    const title = `ci/test failed on ${branch}: ${failure.category}`;
    emit(
      'homeostat.incident.opened.v1',
      opened,
      {
        ...sampleIncidentOpened(),
        incidentId,
        loop: DEMO_REPAIR_LOOP,
        target,
        fingerprint: failure.signature,
        severity: 'high',
        title,
        openedAt: iso(opened),
        evidence: EVIDENCE,
        buildFailure,
      },
      'analyzer',
      target,
    );
    let t = opened + 3_000;
    failure.tries.forEach((tr, i) => {
      const fix = fixes[i]!;
      const decisionId = `dec-${incidentId}-${i + 1}`;
      const action = {
        name: tr.recipe,
        adapter: 'ci' as const,
        params: {
          fix: { id: fix.id, title: fix.title, files: fix.files, regenerate: fix.regenerate, message: fix.message },
          repository: failure.repository,
          branch,
          commit,
          diagnosis: {
            category: failure.category,
            signature: failure.signature,
            culprit: `${failure.culprit.name} ${failure.culprit.from} → ${failure.culprit.to}`,
            reasonText: buildFailure.reasonText,
          },
        },
      };
      emit(
        'homeostat.decision.made.v1',
        t,
        {
          decisionId,
          incidentId,
          loop: DEMO_REPAIR_LOOP,
          loopVersion: '1.0.0',
          target,
          fingerprint: failure.signature,
          action,
          mode: 'execute',
          autonomyLevel: 'auto',
          attempt: i + 1,
          ...(i > 0 ? { previousDecisionId: `dec-${incidentId}-${i}` } : {}),
          explanation: {
            evidenceSummary: buildFailure.reasonText[0]!,
            candidates: fixes.map((f, k) => ({
              action: f.recipe,
              score: k === i ? 0.8 : 0.3,
              eligible: k >= i,
              reason: `prior ${f.prior}`,
            })),
            guardrails: [],
            chosenBecause: `${tr.recipe} ranks first`,
          },
        },
        'decider',
        target,
      );
      const started = t + 500;
      emit(
        'homeostat.action.started.v1',
        started,
        {
          decisionId,
          incidentId,
          loop: DEMO_REPAIR_LOOP,
          target,
          fingerprint: failure.signature,
          action,
          dryRun: false,
          startedAt: iso(started),
          deadline: iso(started + 300_000),
        },
        'executor',
        target,
      );
      // Known fixes validate faster: the npm cache is warm by then.
      const took = 30_000 - n * 6_000;
      const finished = started + took;
      const fixCommit = `${(n + 1).toString(16).padStart(2, '0')}${i}${'f'.repeat(37)}`;
      emit(
        'homeostat.outcome.recorded.v1',
        finished,
        {
          decisionId,
          incidentId,
          loop: DEMO_REPAIR_LOOP,
          target,
          fingerprint: failure.signature,
          action,
          status: tr.passes ? 'succeeded' : 'failed',
          dryRun: false,
          applied: true,
          verification: {
            passed: tr.passes,
            checks: [
              { name: 'npm ci', passed: true, observed: 0 },
              { name: 'npm test', passed: tr.passes, observed: tr.passes ? 0 : 1 },
            ],
          },
          timeToRecoverMs: tr.passes ? took : null,
          startedAt: iso(started),
          finishedAt: iso(finished),
          ...(tr.passes ? {} : { error: { code: 'VERIFICATION_FAILED' as const, message: 'npm test failed' } }),
          repair: {
            remote: failure.repository,
            commit: fixCommit,
            ...(tr.passes ? { pushed: { branch, commit: fixCommit } } : {}),
            diff: ` package.json | 2 +-\n-    "${failure.culprit.name}": "${failure.culprit.to}"\n+    "${failure.culprit.name}": "${tr.to}"\n`,
            steps: [
              { command: 'npm ci', exitCode: 0, timedOut: false, durationMs: took - 5_000, outputTail: 'added 3 packages' },
              {
                command: 'npm test',
                exitCode: tr.passes ? 0 : 1,
                timedOut: false,
                durationMs: 4_000,
                outputTail: tr.passes ? '# pass 2\n# fail 0' : '# fail 1',
              },
            ],
          },
        },
        'executor',
        target,
      );
      t = finished + 2_000;
    });
    emit(
      'homeostat.incident.resolved.v1',
      t + 1_000,
      {
        incidentId,
        loop: DEMO_REPAIR_LOOP,
        target,
        fingerprint: failure.signature,
        openedAt: iso(opened),
        resolvedAt: iso(t + 1_000),
        resolution: 'recovered',
        decisionId: `dec-${incidentId}-${failure.tries.length}`,
        title,
        severity: 'high',
      },
      'analyzer',
      target,
    );
  });
}

const EXPERIMENTS: {
  route: string;
  regime: string;
  knob: Experiment['knob'];
  change: string;
  knownGood: boolean;
  result: Partial<ExperimentResult>;
}[] = [
  {
    route: 'GET /catalog',
    regime: 'rps-high|zipf|ok',
    knob: 'cache',
    change: 'cache GET /catalog 22.5 s + 7.5 s stale',
    knownGood: false,
    result: {},
  },
  {
    route: 'GET /catalog',
    regime: 'rps-high|zipf|ok',
    knob: 'concurrency',
    change: 'concurrency 16 → 48 on catalog',
    knownGood: false,
    result: {
      kept: false,
      guardBreach: 'p99 above 400 ms in two trial buckets in a row (last 812 ms)',
      trialMedianMs: 140,
      effectMs: null,
      effectLowMs: null,
      effectHighMs: null,
      pValue: null,
    },
  },
  {
    route: 'GET /search',
    regime: 'rps-mid|uniform|slow-replica',
    knob: 'balancer',
    change: 'p2c-ewma across search replicas',
    knownGood: false,
    result: { effectMs: 31, effectLowMs: 22, effectHighMs: 40, baselineMedianMs: 95, trialMedianMs: 64 },
  },
  {
    route: 'GET /search',
    regime: 'rps-mid|uniform|slow-replica',
    knob: 'retry',
    change: 'retry budget 20 %',
    knownGood: false,
    result: { kept: false, baselineMedianMs: 64, trialMedianMs: 62, effectMs: 2, effectLowMs: -4, effectHighMs: 7, pValue: 0.31 },
  },
  {
    route: 'GET /catalog',
    regime: 'rps-high|zipf|ok',
    knob: 'cache',
    change: 'cache GET /catalog 22.5 s + 7.5 s stale',
    knownGood: true,
    result: {},
  },
];

export function optimizeMessages(emit: Emit, start: number): void {
  const target = 'gateway';
  const known = new Map<string, { tries: number; successes: number; failures: number }>();
  EXPERIMENTS.forEach((x, n) => {
    const opened = start + n * 15 * 60_000;
    const incidentId = `opt-${n + 1}`;
    const decisionId = `dec-${incidentId}`;
    const fingerprint = `${target}|${x.route}|${x.regime}`;
    emit(
      'homeostat.incident.opened.v1',
      opened,
      {
        ...sampleIncidentOpened(),
        incidentId,
        loop: DEMO_OPTIMIZE_LOOP,
        target,
        fingerprint,
        severity: 'low',
        title: `${x.route}: the objective could be lower`,
        openedAt: iso(opened),
        evidence: EVIDENCE,
        optimize: {
          kind: 'opportunity',
          route: x.route,
          regime: x.regime,
          windowStart: iso(opened - 60_000),
          windowEnd: iso(opened),
          buckets: 30,
          rps: 120,
          p50Ms: 80,
          p99Ms: 240,
          errorRatio: 0.001,
          cacheHitRatio: 0,
          retryRatio: 0.02,
          repeatRatio: 0.6,
        },
      },
      'analyzer',
      target,
    );
    const action = {
      name: `tune-${x.knob}`,
      adapter: 'http' as const,
      params: { method: 'PUT', url: 'http://gateway:8080/actuator/config', body: { route: x.route, change: x.change } },
    };
    const experiment: Experiment = {
      route: x.route,
      regime: x.regime,
      knob: x.knob,
      change: x.change,
      knownGood: x.knownGood,
      objective: 'p50',
      bucketMs: 2_000,
      baselineBuckets: 8,
      trialBuckets: 8,
      minRequestsPerBucket: 20,
      alpha: 0.05,
      minImprovement: 0.1,
      guards: { p99MaxMs: 400, errorRatioMax: 0.02, neverCached: false },
      expectedGain: 0.3,
    };
    const decided = opened + 2_000;
    emit(
      'homeostat.decision.made.v1',
      decided,
      {
        decisionId,
        incidentId,
        loop: DEMO_OPTIMIZE_LOOP,
        loopVersion: '1.0.0',
        target,
        fingerprint,
        action,
        mode: 'execute',
        autonomyLevel: 'auto',
        attempt: 1,
        explanation: {
          evidenceSummary: 'p50 80 ms at 120 rps',
          candidates: [],
          guardrails: [],
          chosenBecause: `${x.knownGood ? 'known-good config of this regime' : `experiment: ${x.change}`}`,
        },
        experiment,
      },
      'decider',
      target,
    );
    const started = decided + 500;
    emit(
      'homeostat.action.started.v1',
      started,
      {
        decisionId,
        incidentId,
        loop: DEMO_OPTIMIZE_LOOP,
        target,
        fingerprint,
        action,
        dryRun: false,
        startedAt: iso(started),
        deadline: iso(started + 60_000),
      },
      'executor',
      target,
    );
    const result: ExperimentResult = {
      kept: true,
      reason: 'improved beyond noise',
      baselineMedianMs: 80,
      trialMedianMs: 22,
      effectMs: 58,
      effectLowMs: 50,
      effectHighMs: 63,
      pValue: 0.0003,
      baselineBuckets: 8,
      trialBuckets: x.result.guardBreach ? 2 : 8,
      ...x.result,
    };
    if (!result.kept) result.reason = result.guardBreach ? `guard broken: ${result.guardBreach}` : 'not beyond noise (p ≥ 0.05)';
    const finished = started + (x.knownGood ? 12_000 : result.guardBreach ? 6_000 : 20_000);
    emit(
      'homeostat.outcome.recorded.v1',
      finished,
      {
        decisionId,
        incidentId,
        loop: DEMO_OPTIMIZE_LOOP,
        target,
        fingerprint,
        action,
        status: result.kept ? 'succeeded' : 'rolled-back',
        dryRun: false,
        applied: true,
        verification: { passed: result.kept, checks: [{ name: 'objective', passed: result.kept, detail: result.reason }] },
        timeToRecoverMs: result.kept ? finished - started : null,
        startedAt: iso(started),
        finishedAt: iso(finished),
        ...(result.kept
          ? {}
          : {
              rollback: {
                action: {
                  name: 'rollback-config',
                  adapter: 'http' as const,
                  params: { method: 'POST', url: 'http://gateway:8080/actuator/config/rollback' },
                },
                status: 'succeeded' as const,
              },
            }),
        experiment: result,
      },
      'executor',
      target,
    );
    const k = known.get(`${fingerprint}|${action.name}`) ?? { tries: 0, successes: 0, failures: 0 };
    k.tries += 1;
    if (result.kept) k.successes += 1;
    else k.failures += 1;
    known.set(`${fingerprint}|${action.name}`, k);
    emit(
      'homeostat.knowledge.updated.v1',
      finished + 100,
      {
        loop: DEMO_OPTIMIZE_LOOP,
        fingerprint,
        action: action.name,
        ...k,
        meanTimeToRecoverMs: result.kept ? finished - started : null,
        p50TimeToRecoverMs: result.kept ? finished - started : null,
        lastOutcomeAt: iso(finished),
        posterior: { alpha: 1 + k.successes, beta: 1 + k.failures },
        ...(result.kept ? { params: action.params } : {}),
      },
      'learner',
      target,
    );
    emit(
      'homeostat.incident.resolved.v1',
      finished + 1_000,
      {
        incidentId,
        loop: DEMO_OPTIMIZE_LOOP,
        target,
        fingerprint,
        openedAt: iso(opened),
        resolvedAt: iso(finished + 1_000),
        resolution: 'recovered',
        decisionId,
      },
      'analyzer',
      target,
    );
  });
}

/** The repair and the optimize loop's events on their own (the console's browser test shows them). */
export function demoLoopMessages(start: number): { topic: string; event: AnyEnvelope }[] {
  const out: { topic: string; event: AnyEnvelope }[] = [];
  const emit: Emit = (type, timeMs, data, source, subject) => {
    out.push({
      topic: topicOfType(type),
      event: createEnvelope(type, { time: iso(timeMs), source, subject, data }) as unknown as AnyEnvelope,
    });
  };
  repairMessages(emit, start);
  optimizeMessages(emit, start + 10 * 60_000);
  return out;
}
