import {
  incidentResolvedSchema,
  outcomeRecordedSchema,
  type BuildReported,
  type IncidentOpened,
  type OutcomeRecorded,
  type OutcomeStatus,
} from '@homeostat/contracts';
import { buildFailureOf, buildFailureTitle } from './repair-loop';
import { RepairIncidents, type PastFailure } from './repair-incidents';
import { triageLog } from './triage';

const TAP = ['> node --test', 'TAP version 13', 'not ok 1 - reads the port as a number', "  code: 'ERR_ASSERTION'", '# fail 1'].join('\n');
const NOW = new Date('2026-12-03T18:00:00.000Z');
const LATER = new Date('2026-12-03T18:05:00.000Z');

const build = (over: Partial<BuildReported> = {}): BuildReported => ({
  repository: '/srv/git/app.git',
  commit: 'c0ffee',
  branch: 'deps/connector',
  pipeline: 'ci',
  job: 'test',
  status: 'failed',
  log: TAP,
  ...over,
});

/** A repair loop's incident as the analyzer opens it, from a real triage of the log. */
function incidentOf(incidentId: string, failed: BuildReported = build()): { incident: IncidentOpened; features: Record<string, number> } {
  const diagnosis = triageLog(failed.log ?? '');
  const failure = buildFailureOf({
    build: failed,
    baseBranch: 'main',
    diagnosis,
    files: {},
    previous: {},
    projectDir: '',
    runtime: { node: '20.0.0' },
    past: [],
  });
  return {
    incident: {
      incidentId,
      loop: 'app-repair',
      target: failed.repository,
      fingerprint: failure.signature,
      severity: 'medium',
      title: buildFailureTitle(failure),
      openedAt: NOW.toISOString(),
      evidence: { series: [], logTemplates: [], failingSpans: [] },
      buildFailure: failure,
    },
    features: diagnosis.features,
  };
}

const outcome = (incidentId: string, status: OutcomeStatus, over: Partial<OutcomeRecorded> = {}): OutcomeRecorded =>
  outcomeRecordedSchema.parse({
    decisionId: `d-${incidentId}-${status}`,
    incidentId,
    loop: 'app-repair',
    target: '/srv/git/app.git',
    fingerprint: 'test: not ok * reads the port as a number',
    action: { name: 'revert-update', adapter: 'ci', params: {} },
    status,
    dryRun: false,
    verification: { passed: status === 'succeeded', checks: [{ name: 'npm test', passed: status === 'succeeded' }] },
    timeToRecoverMs: status === 'succeeded' ? 40_000 : null,
    startedAt: NOW.toISOString(),
    finishedAt: LATER.toISOString(),
    applied: true,
    ...over,
  });

/** Opens the incident, as the analyzer does after publishing it. */
function open(repair: RepairIncidents, incidentId: string, failed?: BuildReported): IncidentOpened {
  const { incident, features } = incidentOf(incidentId, failed);
  expect(repair.opened(incident, features, NOW)).toEqual([]);
  return incident;
}

describe('RepairIncidents: a validated fix resolves its incident', () => {
  it('resolves as recovered, naming the decision, the title and the severity, on a succeeded outcome whose fix was applied', () => {
    const repair = new RepairIncidents();
    const incident = open(repair, 'i-1');
    const resolved = repair.onOutcome(outcome('i-1', 'succeeded'), LATER);
    expect(resolved).toEqual({
      incidentId: 'i-1',
      loop: 'app-repair',
      target: '/srv/git/app.git',
      fingerprint: incident.fingerprint,
      openedAt: NOW.toISOString(),
      resolvedAt: LATER.toISOString(),
      resolution: 'recovered',
      decisionId: 'd-i-1-succeeded',
      title: incident.title,
      severity: 'medium',
    });
    expect(incidentResolvedSchema.safeParse(resolved).success).toBe(true);
  });

  it('resolves nothing on a failed validation, a dry run, a fix that was not applied, or an incident it did not open', () => {
    const repair = new RepairIncidents();
    open(repair, 'i-1');
    expect(repair.onOutcome(outcome('i-1', 'failed', { error: { code: 'VERIFICATION_FAILED', message: 'npm test failed' } }), LATER)).toBe(
      undefined,
    );
    expect(repair.onOutcome(outcome('i-1', 'skipped', { dryRun: true, applied: false }), LATER)).toBeUndefined();
    expect(repair.onOutcome(outcome('i-1', 'succeeded', { applied: false }), LATER)).toBeUndefined();
    expect(repair.onOutcome(outcome('i-other', 'succeeded'), LATER)).toBeUndefined();
    expect(repair.isOpen('i-1')).toBe(true);
  });

  it('keeps the incident open until the resolution is published: a redelivered outcome resolves it again, a published one not', () => {
    const repair = new RepairIncidents();
    open(repair, 'i-1');
    expect(repair.onOutcome(outcome('i-1', 'succeeded'), LATER)?.resolution).toBe('recovered');
    expect(repair.onOutcome(outcome('i-1', 'succeeded'), LATER)?.resolution).toBe('recovered');
    repair.resolved('i-1');
    expect(repair.isOpen('i-1')).toBe(false);
    expect(repair.onOutcome(outcome('i-1', 'succeeded'), LATER)).toBeUndefined();
  });
});

describe('RepairIncidents: a passing build resolves what is still open on its branch', () => {
  it('leaves an escalated incident open until a build of the same job on its branch passes, then resolves it as self-healed', () => {
    const repair = new RepairIncidents();
    const incident = open(repair, 'i-1');
    expect(repair.onOutcome(outcome('i-1', 'failed'), LATER)).toBeUndefined();
    // Another job, pipeline, branch or repository passing, or the branch failing again, says nothing of this failure.
    expect(repair.onBuild(build({ status: 'passed', job: 'lint', commit: 'beef' }), 'app-repair', LATER)).toEqual([]);
    expect(repair.onBuild(build({ status: 'passed', pipeline: 'nightly', commit: 'beef' }), 'app-repair', LATER)).toEqual([]);
    expect(repair.onBuild(build({ status: 'passed', branch: 'main', commit: 'beef' }), 'app-repair', LATER)).toEqual([]);
    expect(repair.onBuild(build({ status: 'passed', repository: '/srv/git/other.git' }), 'app-repair', LATER)).toEqual([]);
    expect(repair.onBuild(build({ status: 'passed' }), 'other-loop', LATER)).toEqual([]);
    expect(repair.onBuild(build({ status: 'failed', commit: 'beef' }), 'app-repair', LATER)).toEqual([]);
    const [resolved, ...more] = repair.onBuild(build({ status: 'passed', commit: 'beef' }), 'app-repair', LATER);
    expect(more).toEqual([]);
    expect(resolved).toMatchObject({ incidentId: 'i-1', resolution: 'self-healed', title: incident.title, severity: 'medium' });
    expect(resolved?.decisionId).toBeUndefined();
    expect(incidentResolvedSchema.safeParse(resolved).success).toBe(true);
  });

  it('resolves a build without a branch when the same commit passes on a rerun (a flaky job)', () => {
    const repair = new RepairIncidents();
    open(repair, 'i-1', build({ branch: undefined }));
    expect(repair.onBuild(build({ status: 'passed', branch: undefined, commit: 'other' }), 'app-repair', LATER)).toEqual([]);
    expect(repair.onBuild(build({ status: 'passed', branch: undefined }), 'app-repair', LATER).map((r) => r.resolution)).toEqual([
      'self-healed',
    ]);
  });

  it('expires the oldest open incidents past openKept', () => {
    const repair = new RepairIncidents({ openKept: 2 });
    open(repair, 'i-1');
    open(repair, 'i-2');
    const { incident, features } = incidentOf('i-3');
    expect(repair.opened(incident, features, LATER).map((r) => [r.incidentId, r.resolution])).toEqual([['i-1', 'expired']]);
  });

  it('refuses an incident that is not a repair loop’s', () => {
    const { incident, features } = incidentOf('i-1');
    const { buildFailure: _failure, ...remediate } = incident;
    expect(() => new RepairIncidents().opened(remediate, features, NOW)).toThrow(/no buildFailure/);
  });
});

describe('RepairIncidents: past failures and open incidents survive a restart through the snapshot', () => {
  it('restores from its snapshot, through JSON, the past failures (most recent first, at most pastKept) and the open incidents', () => {
    const before = new RepairIncidents({ pastKept: 2 });
    open(before, 'i-1');
    open(before, 'i-2', build({ branch: 'deps/other', commit: 'd00d' }));
    open(before, 'i-3', build({ branch: 'deps/third', commit: 'f00d' }));
    const past = before.pastOf('app-repair');
    expect(past.map((p) => p.incidentId)).toEqual(['i-3', 'i-2']);

    const after = new RepairIncidents({ pastKept: 2 });
    expect(after.restore(JSON.parse(JSON.stringify(before.snapshot())))).toEqual({ open: 3, past: 2, dropped: 0 });
    expect(after.pastOf('app-repair')).toEqual(past);
    expect(after.pastOf('another-loop')).toEqual([]);
    // The restored memory does what the first one did: finds the similar failure, resolves the open incident.
    const next = incidentOf('i-4');
    const similar = buildFailureOf({
      build: build(),
      baseBranch: 'main',
      diagnosis: triageLog(TAP),
      files: {},
      previous: {},
      projectDir: '',
      runtime: { node: '20.0.0' },
      past: after.pastOf('app-repair'),
    }).similar;
    expect(similar.map((s) => [s.incidentId, s.signature]).sort()).toEqual([
      ['i-2', next.incident.fingerprint],
      ['i-3', next.incident.fingerprint],
    ]);
    expect(after.onOutcome(outcome('i-2', 'succeeded'), LATER)).toMatchObject({ incidentId: 'i-2', resolution: 'recovered' });
    expect(after.onBuild(build({ status: 'passed', commit: 'beef' }), 'app-repair', LATER).map((r) => r.incidentId)).toEqual(['i-1']);
  });

  it('leaves out what is damaged and counts it; no snapshot (a state file from before) starts empty', () => {
    const repair = new RepairIncidents();
    expect(repair.restore(undefined)).toEqual({ open: 0, past: 0, dropped: 0 });
    const good: PastFailure = { incidentId: 'i-1', signature: 'test: x', features: { 'category:test': 1 } };
    const snapshot = {
      version: 1,
      open: [{ incidentId: 'i-9', loop: 'app-repair' }, 'nonsense'],
      past: { 'app-repair': [good, { incidentId: 'i-2', signature: 'test: y', features: { a: 'NaN' } }, null], broken: 'x' },
    };
    expect(repair.restore(snapshot)).toEqual({ open: 0, past: 1, dropped: 5 });
    expect(repair.pastOf('app-repair')).toEqual([good]);
    expect(repair.restore({ version: 7 })).toEqual({ open: 0, past: 0, dropped: 1 });
    expect(repair.pastOf('app-repair')).toEqual([]);
  });
});
