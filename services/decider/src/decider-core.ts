import { type EventData, type LoopSpec } from '@homeostat/contracts';
import { createRng, decide, evolve, initialPolicyState, seedFrom, type Attempt, type AttemptStatus, type DecisionPlan, type IncidentInput, type PolicyEvent, type PolicyState } from '@homeostat/policy';

type IncidentOpened = EventData<'homeostat.incident.opened.v1'>;
type DecisionMade = EventData<'homeostat.decision.made.v1'>;

interface Case {
  loop: string;
  incident: IncidentInput;
  attempts: Attempt[];
  /** Decision ids whose action started, with the time after which a missing outcome counts as timed out. */
  deadlines: Record<string, number>;
  retryAt?: number;
}

export interface DeciderSnapshot {
  version: 1;
  policy: PolicyState;
  cases: Record<string, Case>;
}

/** A missing outcome is declared timed out this long after the action's own verification deadline. */
const OUTCOME_GRACE_MS = 15_000;
const MAX_CASES = 10_000;

const OUTCOME_TO_ATTEMPT: Record<EventData<'homeostat.outcome.recorded.v1'>['status'], AttemptStatus> = {
  succeeded: 'succeeded',
  failed: 'failed',
  'rolled-back': 'rolled-back',
  'timed-out': 'timed-out',
  skipped: 'skipped',
};

/**
 * The decider's behaviour without the framework: it keeps the policy state (evolved from
 * knowledge, outcomes and people's commands) and one case per open incident (its chain of
 * attempts), and turns events and the passing of time into decisions. A failed, rolled-back,
 * timed-out or rejected attempt leads to the next best candidate (a new decision linked to the
 * previous one); an escalation that only waits for time is decided again when it may.
 */
export class DeciderCore {
  private policy: PolicyState = initialPolicyState();
  private cases = new Map<string, Case>();

  constructor(
    private readonly loops: ReadonlyMap<string, LoopSpec>,
    private readonly newId: () => string,
    private readonly seed = '',
  ) {}

  onIncidentOpened(data: IncidentOpened, now: number): DecisionMade[] {
    const loop = this.loops.get(data.loop);
    if (!loop || this.cases.has(data.incidentId)) return [];
    this.cases.set(data.incidentId, {
      loop: data.loop,
      incident: {
        incidentId: data.incidentId,
        fingerprint: data.fingerprint,
        target: data.target,
        severity: data.severity,
        title: data.title,
        evidence: data.evidence,
        ...(data.hypothesis ? { hypothesis: data.hypothesis } : {}),
      },
      attempts: [],
      deadlines: {},
    });
    if (this.cases.size > MAX_CASES) this.cases.delete(this.cases.keys().next().value as string);
    return this.decideFor(data.incidentId, now);
  }

  onIncidentUpdated(data: EventData<'homeostat.incident.updated.v1'>): void {
    const c = this.cases.get(data.incidentId);
    if (!c) return;
    c.incident = { ...c.incident, severity: data.severity, title: data.title, evidence: data.evidence, ...(data.hypothesis ? { hypothesis: data.hypothesis } : {}) };
  }

  onIncidentResolved(data: EventData<'homeostat.incident.resolved.v1'>): void {
    this.cases.delete(data.incidentId);
  }

  onKnowledge(data: EventData<'homeostat.knowledge.updated.v1'>): void {
    this.apply({ type: 'homeostat.knowledge.updated.v1', data });
  }

  onActionStarted(data: EventData<'homeostat.action.started.v1'>): void {
    this.apply({ type: 'homeostat.action.started.v1', data });
    const c = this.cases.get(data.incidentId);
    if (c) c.deadlines[data.decisionId] = Date.parse(data.deadline) + OUTCOME_GRACE_MS;
  }

  onOutcome(data: EventData<'homeostat.outcome.recorded.v1'>, now: number): DecisionMade[] {
    const loop = this.loops.get(data.loop);
    // An action that never reached the target teaches nothing about whether it works.
    if (loop && data.applied) this.apply({ type: 'homeostat.outcome.recorded.v1', data, loop });
    return this.settle(data.incidentId, data.decisionId, OUTCOME_TO_ATTEMPT[data.status], now);
  }

  onControl(data: EventData<'homeostat.control.v1'>, now: number): DecisionMade[] {
    this.apply({ type: 'homeostat.control.v1', data });
    if (data.command !== 'reject') return [];
    const incidentId = [...this.cases].find(([, c]) => c.attempts.some((a) => a.decisionId === data.decisionId))?.[0];
    return incidentId ? this.settle(incidentId, data.decisionId, 'rejected', now) : [];
  }

  /** Time passes: missing outcomes time out, escalations that waited for time are decided again. */
  tick(now: number): DecisionMade[] {
    const out: DecisionMade[] = [];
    for (const [incidentId, c] of this.cases) {
      for (const [decisionId, deadline] of Object.entries(c.deadlines)) {
        if (now >= deadline) out.push(...this.settle(incidentId, decisionId, 'timed-out', now));
      }
      if (c.retryAt !== undefined && now >= c.retryAt) {
        delete c.retryAt;
        out.push(...this.decideFor(incidentId, now));
      }
    }
    return out;
  }

  /** An attempt got its final status; if it did not help and the incident is still open, try the next. */
  private settle(incidentId: string, decisionId: string, status: AttemptStatus, now: number): DecisionMade[] {
    const c = this.cases.get(incidentId);
    const attempt = c?.attempts.find((a) => a.decisionId === decisionId);
    if (!c || !attempt || attempt.status !== 'pending') return [];
    attempt.status = status;
    delete c.deadlines[decisionId];
    return status === 'failed' || status === 'rolled-back' || status === 'timed-out' || status === 'rejected' ? this.decideFor(incidentId, now) : [];
  }

  private decideFor(incidentId: string, now: number): DecisionMade[] {
    const c = this.cases.get(incidentId);
    const loop = c && this.loops.get(c.loop);
    if (!c || !loop) return [];
    const rng = createRng(seedFrom(this.seed, incidentId, String(c.attempts.length + 1)));
    const plan: DecisionPlan = decide({ state: this.policy, loop, incident: c.incident, attempts: c.attempts, now, rng });
    const decision: DecisionMade = {
      decisionId: this.newId(),
      incidentId,
      loop: loop.metadata.name,
      loopVersion: String(loop.metadata.version),
      target: c.incident.target,
      fingerprint: c.incident.fingerprint,
      action: plan.action,
      mode: plan.mode,
      autonomyLevel: plan.autonomyLevel,
      attempt: plan.attempt,
      ...(plan.previousDecisionId ? { previousDecisionId: plan.previousDecisionId } : {}),
      explanation: plan.explanation,
    };
    if (plan.mode === 'escalate') {
      // Nothing to run: a person is needed, or time is (then the case is decided again later).
      if (plan.retryAt !== undefined) c.retryAt = plan.retryAt;
    } else {
      c.attempts.push({ decisionId: decision.decisionId, action: plan.action?.name ?? null, status: 'pending' });
    }
    this.apply({ type: 'homeostat.decision.made.v1', data: decision, loop, at: now });
    return [decision];
  }

  private apply(event: PolicyEvent): void {
    this.policy = evolve(this.policy, event);
  }

  get openCases(): number {
    return this.cases.size;
  }

  get state(): PolicyState {
    return this.policy;
  }

  snapshot(): DeciderSnapshot {
    return { version: 1, policy: this.policy, cases: Object.fromEntries(this.cases) };
  }

  restore(snapshot: DeciderSnapshot): void {
    if (snapshot.version !== 1) throw new Error(`unsupported decider snapshot version ${String(snapshot.version)}`);
    this.policy = snapshot.policy;
    this.cases = new Map(Object.entries(snapshot.cases));
  }
}
