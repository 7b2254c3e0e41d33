import {
  isVerifiedOutcome,
  SEVERITIES,
  type BuildReported,
  type EventData,
  type IncidentOpened,
  type OutcomeRecorded,
  type Severity,
} from '@homeostat/contracts';

/** A failure of a repair loop as kept for the similar ones of later failures. */
export interface PastFailure {
  readonly incidentId: string;
  readonly signature: string;
  readonly features: Readonly<Record<string, number>>;
}

/** An open incident of a repair loop: what its resolution names, and which builds resolve it. */
interface OpenRepairIncident {
  readonly incidentId: string;
  readonly loop: string;
  readonly target: string;
  readonly fingerprint: string;
  readonly openedAt: string;
  readonly title: string;
  readonly severity: Severity;
  readonly pipeline: string;
  readonly job: string;
  readonly branch: string;
  readonly commit: string;
}

export type RepairResolution = EventData<'homeostat.incident.resolved.v1'>;

/** The repair incidents' part of the analyzer's state file. */
export interface RepairIncidentsSnapshot {
  readonly version: 1;
  readonly open: readonly OpenRepairIncident[];
  readonly past: Readonly<Record<string, readonly PastFailure[]>>;
}

export interface RepairIncidentsOptions {
  /** Past failures kept per loop for the similar ones (the ledger keeps them all). */
  readonly pastKept?: number;
  /** Open incidents kept: past it, the oldest is resolved as expired (a build that never passes again). */
  readonly openKept?: number;
}

/**
 * The analyzer's memory of a repair loop's incidents, which no telemetry resolves: an incident
 * resolves as `recovered` when the fix the loop pushed was validated (its outcome succeeded), and
 * as `self-healed` when a later build of the same repository, pipeline, job and branch (or the
 * same commit, rerun) passes while it is still open — a person's fix after an escalation, or a
 * flaky job. Also the loops' past failures, for the similar ones of the next. Pure: the analyzer
 * publishes what it returns and saves its snapshot with its own state. An incident stays open until
 * `resolved` says its resolution was published, so a publish that fails resolves it again when the
 * event that resolved it is redelivered.
 */
export class RepairIncidents {
  private readonly open = new Map<string, OpenRepairIncident>();
  private readonly past = new Map<string, PastFailure[]>();
  private readonly pastKept: number;
  private readonly openKept: number;

  constructor(options: RepairIncidentsOptions = {}) {
    this.pastKept = options.pastKept ?? 500;
    this.openKept = options.openKept ?? 1_000;
  }

  /** The loop's past failures, most recent first. */
  pastOf(loop: string): readonly PastFailure[] {
    return this.past.get(loop) ?? [];
  }

  isOpen(incidentId: string): boolean {
    return this.open.has(incidentId);
  }

  /** An incident the analyzer opened; returns the resolutions of the oldest open ones when more than openKept are open. */
  opened(incident: IncidentOpened, features: Readonly<Record<string, number>>, now: Date): RepairResolution[] {
    const failure = incident.buildFailure;
    if (failure === undefined) throw new Error(`incident ${incident.incidentId} is not a repair loop's: it has no buildFailure`);
    const past = (this.past.get(incident.loop) ?? []).filter((p) => p.incidentId !== incident.incidentId);
    past.unshift({ incidentId: incident.incidentId, signature: failure.signature, features: { ...features } });
    past.length = Math.min(past.length, this.pastKept);
    this.past.set(incident.loop, past);
    this.open.delete(incident.incidentId);
    this.open.set(incident.incidentId, {
      incidentId: incident.incidentId,
      loop: incident.loop,
      target: incident.target,
      fingerprint: incident.fingerprint,
      openedAt: incident.openedAt,
      title: incident.title,
      severity: incident.severity,
      pipeline: failure.pipeline,
      job: failure.job,
      branch: failure.branch,
      commit: failure.commit,
    });
    return [...this.open.values()].slice(0, Math.max(0, this.open.size - this.openKept)).map((o) => this.resolution(o, now, 'expired'));
  }

  /** An outcome on loop.outcomes: a validated fix of an open repair incident resolves it. */
  onOutcome(outcome: OutcomeRecorded, now: Date): RepairResolution | undefined {
    const open = this.open.get(outcome.incidentId);
    // Applied, not a dry run, and verified: the fix passed the project's own install and tests and was pushed.
    if (open === undefined || outcome.status !== 'succeeded' || !isVerifiedOutcome(outcome)) return undefined;
    return this.resolution(open, now, 'recovered', outcome.decisionId);
  }

  /** A build of a repair loop's pipeline: when it passed, the open incidents of the same job on its branch (or commit) resolve. */
  onBuild(build: BuildReported, loop: string, now: Date): RepairResolution[] {
    if (build.status !== 'passed') return [];
    return [...this.open.values()]
      .filter(
        (o) =>
          o.loop === loop &&
          o.target === build.repository &&
          o.pipeline === build.pipeline &&
          o.job === build.job &&
          (o.commit === build.commit || (build.branch !== undefined && o.branch === build.branch)),
      )
      .map((o) => this.resolution(o, now, 'self-healed'));
  }

  /** The incident's resolution was published: it is no longer open. */
  resolved(incidentId: string): void {
    this.open.delete(incidentId);
  }

  snapshot(): RepairIncidentsSnapshot {
    return { version: 1, open: [...this.open.values()], past: Object.fromEntries(this.past) };
  }

  /**
   * Continues from a snapshot read back from the state file. What does not have the snapshot's
   * shape is left out (and counted), so a damaged part costs that part, not the analyzer's start.
   */
  restore(snapshot: unknown): { open: number; past: number; dropped: number } {
    this.open.clear();
    this.past.clear();
    let dropped = 0;
    if (!isRecord(snapshot) || snapshot['version'] !== 1) return { open: 0, past: 0, dropped: snapshot === undefined ? 0 : 1 };
    for (const o of Array.isArray(snapshot['open']) ? snapshot['open'] : []) {
      if (isOpenIncident(o)) this.open.set(o.incidentId, o);
      else dropped++;
    }
    let past = 0;
    for (const [loop, failures] of Object.entries(isRecord(snapshot['past']) ? snapshot['past'] : {})) {
      const kept = (Array.isArray(failures) ? failures : []).filter(isPastFailure).slice(0, this.pastKept);
      dropped += (Array.isArray(failures) ? failures.length : 1) - kept.length;
      if (kept.length > 0) this.past.set(loop, kept);
      past += kept.length;
    }
    return { open: this.open.size, past, dropped };
  }

  private resolution(
    open: OpenRepairIncident,
    now: Date,
    resolution: RepairResolution['resolution'],
    decisionId?: string,
  ): RepairResolution {
    return {
      incidentId: open.incidentId,
      loop: open.loop,
      target: open.target,
      fingerprint: open.fingerprint,
      openedAt: open.openedAt,
      resolvedAt: now.toISOString(),
      resolution,
      ...(decisionId === undefined ? {} : { decisionId }),
      title: open.title,
      severity: open.severity,
    };
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const nonEmpty = (x: unknown): x is string => typeof x === 'string' && x !== '';

function isOpenIncident(x: unknown): x is OpenRepairIncident {
  if (!isRecord(x)) return false;
  const strings = ['incidentId', 'loop', 'target', 'fingerprint', 'openedAt', 'title', 'pipeline', 'job', 'branch', 'commit'];
  return (
    strings.every((k) => nonEmpty(x[k])) &&
    !Number.isNaN(Date.parse(x['openedAt'] as string)) &&
    (SEVERITIES as readonly unknown[]).includes(x['severity'])
  );
}

function isPastFailure(x: unknown): x is PastFailure {
  return (
    isRecord(x) &&
    nonEmpty(x['incidentId']) &&
    nonEmpty(x['signature']) &&
    isRecord(x['features']) &&
    Object.values(x['features']).every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}
