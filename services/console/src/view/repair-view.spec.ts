import { decisionMadeSchema, incidentOpenedSchema, outcomeRecordedSchema, type BuildFailure } from '@homeostat/contracts';
import { sampleIncidentOpened } from '@homeostat/contracts/testing';
import type { DecisionMade, IncidentAnswer, LedgerEvent, OutcomeRecorded } from './ledger.types';
import { buildRepairView, isRepairIncident } from './repair-view';

const REMOTE = '/tmp/homeostat-demo/connector-app.git';
const BRANCH = 'deps/acme-connector-2.0.0';
const OPENED = '2026-03-02T08:00:00.000Z';

const failure: BuildFailure = {
  repository: REMOTE,
  branch: BRANCH,
  commit: 'a1b2c3d4e5f6',
  baseBranch: 'main',
  pipeline: 'ci',
  job: 'test',
  pullRequest: { number: 7 },
  reasonLines: [[12, 14]],
  reasonText: ['npm error code EBADENGINE', 'npm error engine Unsupported engine', 'npm error notsup Required: {"node":">=99"}'],
  category: 'toolchain',
  signature: 'toolchain|EBADENGINE|engine',
  culprit: { name: '@acme/connector', from: '1.4.2', to: '2.0.0', evidence: ['the log names @acme/connector (score 0.9)'] },
  similar: [{ incidentId: 'inc-000', signature: 'toolchain|EBADENGINE|engine', score: 0.8 }],
  fixes: [
    {
      id: 'revert-update:@acme/connector@1.4.2',
      recipe: 'revert-update',
      title: 'Revert @acme/connector to 1.4.2',
      explanation: ['1.4.2 was the last version that built'],
      prior: 0.6,
      files: [{ path: 'package.json', content: '{"dependencies":{"@acme/connector":"1.4.2"}}\n' }],
      regenerate: [['npm', 'install', '--package-lock-only']],
      message: 'revert(deps): @acme/connector back to 1.4.2',
    },
    {
      id: 'move-dependency:@acme/connector@1.5.0',
      recipe: 'move-dependency',
      title: 'Move @acme/connector to 1.5.0',
      explanation: ['1.5.0 is the newest version whose engines accept node 22'],
      prior: 0.7,
      files: [{ path: 'package.json', content: '{"dependencies":{"@acme/connector":"1.5.0"}}\n' }],
      regenerate: [['npm', 'install', '--package-lock-only']],
      message: 'fix(deps): @acme/connector 1.5.0',
    },
  ],
  notes: [],
};

const ev = <T>(id: string, type: string, time: string, data: T): LedgerEvent<T> => ({ id, type, time, subject: 'connector-app', data });

function decision(n: number, recipe: string, fix: BuildFailure['fixes'][number], at: string): LedgerEvent<DecisionMade> {
  const data = decisionMadeSchema.parse({
    decisionId: `dec-${n}`,
    incidentId: 'inc-1',
    loop: 'connector-ci',
    loopVersion: '1.0.0',
    target: 'connector-app',
    fingerprint: failure.signature,
    action: { name: recipe, adapter: 'ci', params: { fix, repository: REMOTE, branch: BRANCH, commit: failure.commit } },
    mode: 'execute',
    autonomyLevel: 'auto',
    attempt: n,
    ...(n > 1 ? { previousDecisionId: `dec-${n - 1}` } : {}),
    explanation: {
      evidenceSummary: 'npm ci fails: EBADENGINE',
      candidates: [
        { action: 'move-dependency', score: n === 1 ? 0.7 : 0, eligible: n === 1, reason: n === 1 ? 'prior 0.70' : 'tried: failed' },
        { action: 'revert-update', score: 0.6, eligible: true, reason: 'prior 0.60' },
      ],
      guardrails: [{ name: 'budget', passed: true, detail: `${n - 1} of 3 used`, values: { used: n - 1, maxActions: 3 } }],
      chosenBecause: `${recipe} ranks first`,
    },
  }) as DecisionMade;
  return ev(`ev-d${n}`, 'homeostat.decision.made.v1', at, data);
}

const outcome = (n: number, recipe: string, start: string, end: string, over: Partial<OutcomeRecorded>): LedgerEvent<OutcomeRecorded> =>
  ev(
    `ev-o${n}`,
    'homeostat.outcome.recorded.v1',
    end,
    outcomeRecordedSchema.parse({
      decisionId: `dec-${n}`,
      incidentId: 'inc-1',
      loop: 'connector-ci',
      target: 'connector-app',
      fingerprint: failure.signature,
      action: { name: recipe, adapter: 'ci', params: {} },
      status: 'succeeded',
      dryRun: false,
      applied: true,
      verification: { passed: true, checks: [] },
      timeToRecoverMs: null,
      startedAt: start,
      finishedAt: end,
      ...over,
    }) as OutcomeRecorded,
  );

function answer(): IncidentAnswer {
  const opened = incidentOpenedSchema.parse({
    ...sampleIncidentOpened(),
    incidentId: 'inc-1',
    loop: 'connector-ci',
    target: 'connector-app',
    fingerprint: failure.signature,
    title: 'ci/test failed',
    openedAt: OPENED,
    buildFailure: failure,
  });
  return {
    incident: {
      incidentId: 'inc-1',
      loop: 'connector-ci',
      target: 'connector-app',
      fingerprint: failure.signature,
      status: 'resolved',
      severity: 'high',
      title: 'ci/test failed',
      openedAt: OPENED,
      resolvedAt: '2026-03-02T08:01:10.000Z',
      timeToRecoverMs: 70_000,
    },
    links: { follows: null, followedBy: [], relapses: [] },
    events: [ev('ev-i', 'homeostat.incident.opened.v1', OPENED, opened)],
    // Out of order on purpose: the view orders by attempt.
    decisions: [
      decision(2, 'revert-update', failure.fixes[0]!, '2026-03-02T08:00:40.000Z'),
      decision(1, 'move-dependency', failure.fixes[1]!, '2026-03-02T08:00:05.000Z'),
    ],
    outcomes: [
      // Written before outcomes carried `repair`: the commands only as verification checks.
      outcome(1, 'move-dependency', '2026-03-02T08:00:06.000Z', '2026-03-02T08:00:38.000Z', {
        status: 'failed',
        verification: {
          passed: false,
          detail: 'not fixed: npm test failed; nothing was pushed',
          checks: [
            { name: 'npm ci --no-audit --no-fund', passed: true, observed: 0, detail: '9100 ms; added 3 packages' },
            { name: 'npm test', passed: false, observed: 1, detail: '2300 ms; # fail 1\nnot ok 2 - reads the settings' },
          ],
        },
        error: { code: 'VERIFICATION_FAILED', message: 'npm test failed' },
      }),
      outcome(2, 'revert-update', '2026-03-02T08:00:41.000Z', '2026-03-02T08:01:05.000Z', {
        timeToRecoverMs: 24_000,
        verification: { passed: true, checks: [{ name: 'npm test', passed: true, observed: 0 }], detail: 'passed' },
        repair: {
          remote: REMOTE,
          commit: 'f1x0000000001',
          pushed: { branch: BRANCH, commit: 'f1x0000000001' },
          diff: ' package.json | 2 +-\n\n-    "@acme/connector": "2.0.0"\n+    "@acme/connector": "1.4.2"\n',
          steps: [
            { command: 'npm ci --no-audit --no-fund', exitCode: 0, timedOut: false, durationMs: 8000, outputTail: 'added 3 packages' },
            { command: 'npm test', exitCode: 0, timedOut: false, durationMs: 2100, outputTail: '# pass 2\n# fail 0' },
          ],
        },
      }),
    ],
  };
}

describe('buildRepairView', () => {
  it('shows the diagnosis: category, signature, reason lines, culprit with from → to and its evidence', () => {
    const v = buildRepairView(answer())!;
    expect(v.build).toMatchObject({ repository: REMOTE, branch: BRANCH, commit: 'a1b2c3d4e5f6', pullRequest: { number: 7, url: null } });
    expect(v.diagnosis).toMatchObject({
      category: 'toolchain',
      signature: 'toolchain|EBADENGINE|engine',
      reasonLines: [[12, 14]],
      culprit: { name: '@acme/connector', from: '1.4.2', to: '2.0.0', evidence: ['the log names @acme/connector (score 0.9)'] },
    });
    expect(v.diagnosis.reasonText[0]).toBe('npm error code EBADENGINE');
    expect(v.proposed.map((p) => [p.recipe, p.prior])).toEqual([
      ['move-dependency', 0.7],
      ['revert-update', 0.6],
    ]);
    expect(v.ranking.map((c) => [c.action, c.verdict])).toEqual([
      ['move-dependency', 'chosen'],
      ['revert-update', 'lost'],
    ]);
    expect(v.ranking[1]?.why).toMatch(/lost to move-dependency \(0\.600 < 0\.700\)/);
  });

  it('lists the candidates tried in order, each with its validation run; the diff and the push of the one that passed', () => {
    const v = buildRepairView(answer())!;
    expect(v.attempts.map((a) => [a.attempt, a.recipe, a.progress])).toEqual([
      [1, 'move-dependency', 'failed'],
      [2, 'revert-update', 'succeeded'],
    ]);
    const [moved, reverted] = v.attempts;
    // The older outcome's commands come from its verification checks.
    expect(moved!.validation!.commands).toEqual([
      { command: 'npm ci --no-audit --no-fund', exitCode: 0, timedOut: false, durationMs: 9100, outputTail: 'added 3 packages' },
      { command: 'npm test', exitCode: 1, timedOut: false, durationMs: 2300, outputTail: '# fail 1\nnot ok 2 - reads the settings' },
    ]);
    expect(moved!.diff).toBeNull();
    expect(moved!.files.map((f) => f.path)).toEqual(['package.json']);
    expect(moved!.error?.code).toBe('VERIFICATION_FAILED');
    expect(reverted!.validation!.commands.map((c) => [c.command, c.exitCode, c.durationMs])).toEqual([
      ['npm ci --no-audit --no-fund', 0, 8000],
      ['npm test', 0, 2100],
    ]);
    expect(reverted!.diff).toContain('+    "@acme/connector": "1.4.2"');
    expect(reverted!.pushed).toEqual({ branch: BRANCH, commit: 'f1x0000000001' });
    expect(v.result).toEqual({
      state: 'fixed',
      fixedBy: 'dec-2',
      pushed: { remote: REMOTE, branch: BRANCH, commit: 'f1x0000000001' },
      timeToValidatedFixMs: 65_000,
      candidatesTried: ['move-dependency:@acme/connector@1.5.0', 'revert-update:@acme/connector@1.4.2'],
    });
  });

  it('says while it is trying, and when nothing passed', () => {
    const a = answer();
    const trying = buildRepairView({ ...a, outcomes: a.outcomes.slice(0, 1) })!;
    expect(trying.result.state).toBe('trying');
    expect(trying.attempts[1]?.progress).toBe('queued');
    const failed = answer();
    failed.decisions = failed.decisions.filter((d) => (d.data as DecisionMade).attempt === 1);
    const notFixed = buildRepairView({ ...failed, outcomes: failed.outcomes.slice(0, 1) })!;
    expect(notFixed.result).toMatchObject({ state: 'not-fixed', fixedBy: null, pushed: null, timeToValidatedFixMs: null });
  });

  it("falls back to what the decisions carried once the ledger keeps only the incident's resolution", () => {
    const a = answer();
    const resolved = ev('ev-r', 'homeostat.incident.resolved.v1', '2026-03-02T08:01:10.000Z', {
      incidentId: 'inc-1',
      loop: 'connector-ci',
      target: 'connector-app',
      fingerprint: failure.signature,
      openedAt: OPENED,
      resolvedAt: '2026-03-02T08:01:10.000Z',
      resolution: 'recovered',
    });
    const diagnosis = {
      category: 'toolchain',
      signature: failure.signature,
      culprit: '@acme/connector 1.4.2 → 2.0.0',
      reasonText: ['npm error code EBADENGINE'],
    };
    const decisions = a.decisions.map((d) => {
      const data = d.data as DecisionMade;
      return { ...d, data: { ...data, action: { ...data.action!, params: { ...data.action!.params, diagnosis } } } };
    });
    const merged = { ...a, events: [resolved], decisions };
    expect(isRepairIncident(merged)).toBe(true);
    const v = buildRepairView(merged)!;
    expect(v.source).toBe('decisions');
    expect(v.build).toMatchObject({ repository: REMOTE, branch: BRANCH, commit: 'a1b2c3d4e5f6', pipeline: null });
    expect(v.diagnosis).toMatchObject({
      category: 'toolchain',
      signature: failure.signature,
      reasonText: ['npm error code EBADENGINE'],
      culprit: { name: '@acme/connector', from: '1.4.2', to: '2.0.0', evidence: [] },
    });
    expect(v.proposed).toEqual([]);
    expect(v.result.state).toBe('fixed');
    expect(v.attempts.map((x) => x.recipe)).toEqual(['move-dependency', 'revert-update']);
  });

  it('is null for an incident that is not a failed build', () => {
    const a = answer();
    const plain = { ...a, events: [ev('e', 'homeostat.incident.opened.v1', OPENED, sampleIncidentOpened())], decisions: [] };
    expect(buildRepairView(plain)).toBeNull();
    expect(isRepairIncident(plain)).toBe(false);
    expect(isRepairIncident(a)).toBe(true);
  });
});
