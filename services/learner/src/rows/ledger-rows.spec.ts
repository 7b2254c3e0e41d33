import { ledgerRows } from './ledger-rows';
import {
  actionStarted,
  controlApprove,
  controlKillSwitch,
  controlPause,
  decisionMade,
  EVENT_ID,
  EVENT_TIME_MS,
  incidentOpened,
  incidentResolved,
  incidentUpdated,
  knowledgeUpdated,
  logsEvent,
  outcomeRecorded,
  repairIncidentOpened,
  spansEvent,
  TRACE_ID,
} from './testing/sample-events';

const FINGERPRINT = 'shop|pool-exhaustion|db.client.connections.usage';

function onlyRow(groups: ReturnType<typeof ledgerRows>, table: string): Record<string, unknown> {
  expect(groups.map((g) => g.table)).toEqual([table]);
  expect(groups[0]?.rows).toHaveLength(1);
  const row = groups[0]?.rows[0];
  if (!row) throw new Error('no row');
  return row;
}

/** The one row `table` gets from an incident event, which also writes its history (incident_events). */
function incidentRow(groups: ReturnType<typeof ledgerRows>, table: 'incidents' | 'incident_events'): Record<string, unknown> {
  expect(groups.map((g) => g.table)).toEqual(['incidents', 'incident_events']);
  const rows = groups.find((g) => g.table === table)?.rows ?? [];
  expect(rows).toHaveLength(1);
  return rows[0] as Record<string, unknown>;
}

describe('ledgerRows', () => {
  describe('incidents', () => {
    it('given an incident opened, when mapped, then the row is the opened state at the event time', () => {
      const event = incidentOpened();
      expect(incidentRow(ledgerRows(event), 'incidents')).toEqual({
        incident_id: 'inc-1',
        version: EVENT_TIME_MS,
        event_id: EVENT_ID,
        event_type: 'homeostat.incident.opened.v1',
        loop: 'shop-pool-exhaustion',
        target: 'shop',
        fingerprint: FINGERPRINT,
        status: 'opened',
        severity: 'high',
        summary: 'Connection pool exhausted on shop',
        opened_at: '2025-01-01 10:00:00.000',
        updated_at: '2025-01-01 10:00:00.000',
        resolved_at: null,
        time_to_recover_ms: null,
        trace_id: TRACE_ID,
        event: JSON.stringify(event),
      });
    });

    it('given an incident updated, then status, severity, summary and updated_at follow it', () => {
      expect(incidentRow(ledgerRows(incidentUpdated()), 'incidents')).toMatchObject({
        status: 'updated',
        version: Date.parse('2025-01-01T10:00:30.100Z'),
        severity: 'critical',
        summary: 'Pool exhausted, checkout failing',
        opened_at: '2025-01-01 10:00:00.000',
        updated_at: '2025-01-01 10:00:30.000',
        resolved_at: null,
      });
    });

    it('given an incident resolved, then time to recover is resolved_at - opened_at and the version is later', () => {
      const row = incidentRow(ledgerRows(incidentResolved()), 'incidents');
      expect(row).toMatchObject({
        status: 'resolved',
        event_type: 'homeostat.incident.resolved.v1',
        version: Date.parse('2025-01-01T10:00:43Z'),
        opened_at: '2025-01-01 10:00:00.000',
        updated_at: '2025-01-01 10:00:42.500',
        resolved_at: '2025-01-01 10:00:42.500',
        time_to_recover_ms: 42_500,
        severity: 'critical',
        summary: 'Pool exhausted, checkout failing',
      });
      expect(row['version']).toBeGreaterThan(EVENT_TIME_MS);
    });

    it('keeps every incident event in incident_events, keyed by the event, so the opening survives the merge to the resolution', () => {
      for (const event of [incidentOpened(), incidentUpdated(), incidentResolved()]) {
        expect(incidentRow(ledgerRows(event), 'incident_events')).toEqual({
          incident_id: 'inc-1',
          event_id: event.id,
          version: Date.parse(event.time),
          event_type: event.type,
          loop: 'shop-pool-exhaustion',
          target: 'shop',
          opened_at: '2025-01-01 10:00:00.000',
          event: JSON.stringify(event),
        });
      }
    });

    it("given a repair failure's opening, then the failure and each of its features get a row, for the similar ones of later failures", () => {
      const event = repairIncidentOpened();
      const groups = ledgerRows(event);
      expect(groups.map((g) => g.table)).toEqual(['incidents', 'incident_events', 'repair_failures', 'repair_failure_features']);
      const common = {
        incident_id: 'inc-repair-1',
        version: EVENT_TIME_MS,
        loop: 'app-repair',
        target: 'https://git.example/acme/app.git',
      };
      expect(groups[2]?.rows).toEqual([
        {
          ...common,
          event_id: event.id,
          signature: 'test: not ok <n> - reads the port',
          category: 'test',
          opened_at: '2025-01-01 10:00:00.000',
          feature_keys: ['category:test', 't:not ok * reads the port', 'dep:@acme/connector'],
          feature_weights: [1, 1, 3],
        },
      ]);
      const norm = Math.sqrt(11);
      expect(groups[3]?.rows).toEqual([
        { ...common, feature: 'category:test', weight: 1, weight_norm: norm },
        { ...common, feature: 't:not ok * reads the port', weight: 1, weight_norm: norm },
        { ...common, feature: 'dep:@acme/connector', weight: 3, weight_norm: norm },
      ]);
    });

    it('given a repair failure without features (an older analyzer), then no repair failure rows', () => {
      const { features: _features, ...failure } = repairIncidentOpened().data.buildFailure!;
      const older = repairIncidentOpened();
      expect(ledgerRows({ ...older, data: { ...older.data, buildFailure: failure } }).map((g) => g.table)).toEqual([
        'incidents',
        'incident_events',
      ]);
    });

    it('given a resolution that does not name the incident (an older analyzer), then severity and summary are left empty', () => {
      const { title: _title, severity: _severity, ...data } = incidentResolved().data;
      const row = incidentRow(ledgerRows({ ...incidentResolved(), data }), 'incidents');
      expect(row).toMatchObject({ status: 'resolved', severity: '', summary: '' });
    });
  });

  describe('decisions', () => {
    it('given a decision made, then the row carries the action, mode and explanation as JSON', () => {
      const event = decisionMade();
      expect(onlyRow(ledgerRows(event), 'decisions')).toEqual({
        decision_id: 'dec-1',
        version: EVENT_TIME_MS,
        event_id: EVENT_ID,
        event_type: 'homeostat.decision.made.v1',
        incident_id: 'inc-1',
        loop: 'shop-pool-exhaustion',
        target: 'shop',
        fingerprint: FINGERPRINT,
        action: 'recycle-pool',
        status: 'made',
        risk: '',
        dry_run: false,
        explanation: JSON.stringify(event.data.explanation),
        decided_at: '2025-01-01 10:00:05.250',
        updated_at: '2025-01-01 10:00:05.250',
        trace_id: TRACE_ID,
        event: JSON.stringify(event),
      });
    });

    it('given a dry-run escalation without an action, then action is empty and dry_run follows the mode', () => {
      const escalate = decisionMade();
      const dryRun = decisionMade();
      const e = { ...escalate, data: { ...escalate.data, action: null, mode: 'escalate' as const } };
      const d = { ...dryRun, data: { ...dryRun.data, mode: 'dry-run' as const } };
      expect(onlyRow(ledgerRows(e), 'decisions')).toMatchObject({ action: '', dry_run: false });
      expect(onlyRow(ledgerRows(d), 'decisions')).toMatchObject({ action: 'recycle-pool', dry_run: true });
    });
  });

  describe('outcomes', () => {
    it('given an action started, then a started row with nothing finished', () => {
      const event = actionStarted();
      expect(onlyRow(ledgerRows(event), 'outcomes')).toEqual({
        event_id: event.id,
        version: EVENT_TIME_MS,
        event_type: 'homeostat.action.started.v1',
        decision_id: 'dec-1',
        incident_id: 'inc-1',
        loop: 'shop-pool-exhaustion',
        target: 'shop',
        fingerprint: FINGERPRINT,
        action: 'recycle-pool',
        status: 'started',
        success: false,
        verified: false,
        rolled_back: false,
        time_to_recover_ms: null,
        started_at: '2025-01-01 10:00:10.000',
        finished_at: '2025-01-01 10:00:10.000',
        trace_id: TRACE_ID,
        event: JSON.stringify(event),
      });
    });

    it('given an outcome recorded, then success, rollback and a whole-ms time to recover', () => {
      expect(onlyRow(ledgerRows(outcomeRecorded()), 'outcomes')).toMatchObject({
        event_type: 'homeostat.outcome.recorded.v1',
        status: 'succeeded',
        success: true,
        verified: true,
        rolled_back: false,
        time_to_recover_ms: 12_000,
        started_at: '2025-01-01 10:00:10.000',
        finished_at: '2025-01-01 10:00:22.400',
        version: Date.parse('2025-01-01T10:00:22.500Z'),
      });
      const base = outcomeRecorded();
      const rolledBack = {
        ...base,
        data: {
          ...base.data,
          status: 'rolled-back' as const,
          timeToRecoverMs: null,
          rollback: { action: base.data.action, status: 'succeeded' as const },
        },
      };
      expect(onlyRow(ledgerRows(rolledBack), 'outcomes')).toMatchObject({
        status: 'rolled-back',
        success: false,
        verified: true,
        rolled_back: true,
        time_to_recover_ms: null,
      });
    });

    it('given an outcome of an action that never reached the target or only ran dry, then not verified: knowledge does not count it', () => {
      const base = outcomeRecorded();
      const rejected = {
        ...base,
        data: {
          ...base.data,
          status: 'skipped' as const,
          applied: false,
          timeToRecoverMs: null,
          error: { code: 'REJECTED' as const, message: 'no' },
        },
      };
      const unsent = {
        ...base,
        data: {
          ...base.data,
          status: 'failed' as const,
          applied: false,
          timeToRecoverMs: null,
          error: { code: 'TEMPLATE_INVALID' as const, message: 'bad' },
        },
      };
      const refused = {
        ...base,
        data: {
          ...base.data,
          status: 'failed' as const,
          applied: true,
          timeToRecoverMs: null,
          error: { code: 'ADAPTER_FAILED' as const, message: '500' },
        },
      };
      expect(onlyRow(ledgerRows(rejected), 'outcomes')).toMatchObject({ verified: false });
      expect(onlyRow(ledgerRows(unsent), 'outcomes')).toMatchObject({ verified: false });
      expect(onlyRow(ledgerRows(refused), 'outcomes')).toMatchObject({ verified: true });
    });
  });

  it('given knowledge updated, then one row per loop x fingerprint x action, versioned by event time', () => {
    const event = knowledgeUpdated();
    expect(onlyRow(ledgerRows(event), 'knowledge')).toEqual({
      loop: 'shop-pool-exhaustion',
      fingerprint: FINGERPRINT,
      action: 'recycle-pool',
      version: EVENT_TIME_MS,
      attempts: 10,
      successes: 9,
      failures: 1,
      alpha: 10,
      beta: 2,
      mean_time_to_recover_ms: 11_500.5,
      last_outcome_at: '2025-01-01 10:00:22.400',
      updated_at: '2025-01-01 10:00:05.250',
      event: JSON.stringify(event),
    });
  });

  describe('control_audit', () => {
    it('given an approve command, then who, what, which decision and why', () => {
      const event = controlApprove();
      expect(onlyRow(ledgerRows(event), 'control_audit')).toEqual({
        event_id: EVENT_ID,
        version: EVENT_TIME_MS,
        event_type: 'homeostat.control.v1',
        command: 'approve',
        actor: 'alice@example.com',
        loop: '',
        target: 'shop',
        decision_id: 'dec-1',
        incident_id: '',
        reason: 'looks safe',
        issued_at: '2025-01-01 10:00:05.250',
        trace_id: TRACE_ID,
        event: JSON.stringify(event),
      });
    });

    it('given loop commands, then the loop is recorded and the decision left empty', () => {
      expect(onlyRow(ledgerRows(controlPause()), 'control_audit')).toMatchObject({
        command: 'pause-loop',
        loop: 'shop-pool-exhaustion',
        decision_id: '',
        actor: 'carol@example.com',
        reason: 'deploying',
      });
      expect(onlyRow(ledgerRows(controlKillSwitch()), 'control_audit')).toMatchObject({
        command: 'kill-switch',
        loop: '',
        target: 'all-loops',
        decision_id: '',
      });
    });
  });

  it('has no rows for telemetry', () => {
    expect(ledgerRows(spansEvent())).toEqual([]);
    expect(ledgerRows(logsEvent())).toEqual([]);
  });
});
