import { FingerprintCatalog, type FingerprintSignal, type KnownFingerprint } from './fingerprint';

/** One scored observation of one of the target's signals (a series point, or a log template's rate). */
export interface ScoredSignal {
  key: string;
  kind: 'series' | 'log';
  name: string;
  labels: Record<string, string>;
  score: number;
  value: number;
  baseline: number;
  direction: 'up' | 'down';
  /** The value is back within the series' normal band. */
  withinBaseline: boolean;
  /**
   * A symptom users feel (request latency, errors, traffic, error logs), as opposed to an internal
   * measurement (pool sizes, queue lengths) that may settle at a new level after a remedy.
   */
  symptom?: boolean;
  timestampMs: number;
  /** For a log template's rate: the template, and how many lines this observation stands for. */
  template?: { id: string; text: string; sample?: string; lines?: number };
}

export interface FailingSpan {
  traceId: string;
  spanId: string;
  name: string;
  service: string;
  statusMessage?: string;
  /** The error's shape (see errorShape). */
  error?: string;
}

export interface DetectionSettings {
  sensitivity: number;
  minSignals: number;
  gatherForMs: number;
  resolveAfterMs: number;
  /** With no observation at all for this long, an open incident expires. */
  expireAfterMs: number;
  /** At most one update event per this interval. */
  updateEveryMs: number;
}

export interface EvidenceSeries {
  key: string;
  kind: 'series' | 'log';
  name: string;
  labels: Record<string, string>;
  score: number;
  direction: 'up' | 'down';
  firstAnomalousMs: number;
  lastAnomalousMs: number;
  observed: number;
  baseline: number;
  recovered: boolean;
  symptom: boolean;
  template?: { id: string; text: string; sample?: string; count: number };
}

export interface IncidentState {
  incidentId: string;
  target: string;
  fingerprint: string;
  openedAtMs: number;
  signals: EvidenceSeries[];
  failingSpans: FailingSpan[];
  /** The incident this one followed while it was still open (another kind of failure came; see Relapse). */
  previousIncidentId?: string;
  /** The symptoms came back after all had recovered, with evidence of the same kind: when they were last failing then. */
  relapsedAtMs?: number;
  /** While a symptom is failing (see healthSignals): when one was last seen failing. */
  failingAtMs?: number;
  /**
   * Since when the symptoms have been failing without a calm of half a gathering window: the
   * incident's opening, or the start of its last relapse. With failingAtMs while one is failing.
   */
  failingSinceMs?: number;
}

/**
 * The target's symptoms all recovered while the incident was open (a fix took, or the failure
 * stopped) and then one came back: the evidence that comes with it is gathered apart, for one
 * window, to tell whether this is the same kind of failure again or another one.
 */
interface Relapse {
  /** When the symptoms were last all recovered. */
  calmSinceMs: number;
  startMs: number;
  signals: Map<string, EvidenceSeries>;
  failingSpans: FailingSpan[];
  /** Reported as the incident's own kind again (relapsedAt), and still re-judged until its second window is over. */
  reported?: boolean;
  /** The incident's failingSinceMs before the relapse began: what it is again when the relapse was a blip. */
  failingSinceBeforeMs?: number;
  /** Begun by a symptom new to the incident while its symptoms had not calmed (see watchRelapse). */
  withoutCalm?: boolean;
}

export type IncidentTransition =
  | { type: 'opened'; incident: IncidentState }
  | { type: 'updated'; incident: IncidentState }
  | { type: 'resolved'; incident: IncidentState; resolvedAtMs: number; resolution: 'self-healed' | 'expired' };

/** What survives a restart: the phase, the gathered evidence and the open incident. */
export interface TrackerSnapshot {
  phase: 'quiet' | 'gathering' | 'open';
  gatherStartMs: number;
  lastObservationMs: number;
  signals: EvidenceSeries[];
  failingSpans: FailingSpan[];
  incident?: {
    incidentId: string;
    fingerprint: string;
    openedAtMs: number;
    previousIncidentId?: string;
    relapsedAtMs?: number;
    failingSinceMs?: number;
  };
  openingKeys?: string[];
  /** Since when the open incident's symptoms have all been recovered. */
  calmSinceMs?: number;
  relapse?: {
    calmSinceMs: number;
    startMs: number;
    signals: EvidenceSeries[];
    failingSpans: FailingSpan[];
    reported?: boolean;
    failingSinceBeforeMs?: number;
    withoutCalm?: boolean;
  };
  /** The kinds of failure seen on the target (see FingerprintCatalog). */
  knownFingerprints?: KnownFingerprint[];
  /** Error shapes of recent failed requests, with the last two times each was seen. */
  errorShapes?: [string, number[]][];
}

const MAX_SPANS = 20;
const MAX_SIGNALS = 50;
const MAX_ERROR_SHAPES = 50;
/** Ambiguous evidence (FingerprintCatalog.isAmbiguous), and a new kind's evidence without a symptom, is gathered for up to this many windows. */
const AMBIGUOUS_GATHER_FACTOR = 2;

/**
 * The life of the incidents of one target, as a pure state machine driven by scored signals and
 * a clock: quiet → gathering (the first anomalous signal starts a short window in which the
 * evidence of the same failure arrives; a second one when that evidence is ambiguous between
 * known kinds of failure, or would found a new kind without showing anything users feel) → open (enough distinct anomalous signals; the
 * fingerprint is fixed from what was gathered, so it does not drift as more evidence arrives) →
 * updated as evidence grows → resolved once every signal has been back within its baseline for
 * `resolveAfterMs`, or expired when the target goes silent.
 */
export class IncidentTracker {
  private phase: 'quiet' | 'gathering' | 'open' = 'quiet';
  private gatherStartMs = 0;
  private lastObservationMs = 0;
  private lastUpdateMs = 0;
  private dirty = false;
  private readonly signals = new Map<string, EvidenceSeries>();
  /** The signals the incident opened with: it is over when they are back (see tick). */
  private openingKeys = new Set<string>();
  private failingSpans: FailingSpan[] = [];
  /**
   * The shapes of the errors failed requests showed recently (see errorShape), each with the last
   * two times it was seen: what failed, as opposed to where (the routes).
   */
  private readonly errorShapes = new Map<string, number[]>();
  private incident: IncidentState | undefined;
  /**
   * While open: since when every symptom has been back (see healthSignals); undefined while one is
   * not. A symptom that drifts out of its band without being anomalous again does not end it (see drifting).
   */
  private calmSinceMs: number | undefined;
  private relapse: Relapse | undefined;

  constructor(
    readonly target: string,
    private readonly settings: DetectionSettings,
    private readonly newId: () => string,
    private readonly catalog = new FingerprintCatalog(),
  ) {}

  get state(): 'quiet' | 'gathering' | 'open' {
    return this.phase;
  }

  get current(): IncidentState | undefined {
    return this.incident ? this.view() : undefined;
  }

  observe(signal: ScoredSignal, nowMs: number): void {
    this.lastObservationMs = nowMs;
    const anomalous = signal.score >= this.settings.sensitivity;
    const known = this.signals.get(signal.key);
    // Past its band the way it failed: a latency that rose and is now below normal is not failing.
    const failing = anomalous && !signal.withinBaseline && (known === undefined || signal.direction === known.direction);
    if (this.phase === 'open') this.watchRelapse(signal, failing, nowMs);
    if (known) {
      // Opening is the detectors' call; being over is the baseline's: a signal has recovered when
      // its value is back within its normal band (or past it the other way), whatever a novelty
      // score says about the way back.
      known.observed = signal.value;
      known.recovered = signal.withinBaseline || signal.direction !== known.direction;
      if (failing) {
        known.score = Math.max(known.score, signal.score);
        known.lastAnomalousMs = nowMs;
        if (known.template && signal.template) known.template.count += signal.template.lines ?? 1;
        // A failure that goes on is news too (failingAt in the next update): the decider acts
        // again on an incident still failing after a fix it verified.
        this.dirty = true;
      }
      return;
    }
    if (!anomalous) return;
    if (this.phase === 'quiet') {
      this.phase = 'gathering';
      this.gatherStartMs = nowMs;
    }
    if (this.signals.size < MAX_SIGNALS) {
      this.signals.set(signal.key, newEvidence(signal, nowMs));
      this.dirty = true;
    }
  }

  /**
   * While an incident is open: a symptom failing again after every symptom had recovered starts a
   * relapse (the target is unhealthy again: after a fix that did not hold, or with another
   * failure); the relapse gathers the evidence that comes with it on its own.
   * So does a symptom the incident has not had, failing while its own have not calmed (as far as
   * the analyzer has seen: its view lags the target's by a bucket or two, and one symptom out of
   * its band is enough to withhold the calm): another failure that came on the heels of a fix. Only
   * another kind counts then — the same kind without a calm is the incident going on, which the
   * decider reads from failingAt and failingSince.
   */
  private watchRelapse(signal: ScoredSignal, failing: boolean, nowMs: number): void {
    const relapse = this.relapse;
    if (relapse === undefined) {
      if (!failing || !signal.symptom || this.incident === undefined) return;
      const calm = this.calmSinceMs;
      const calmed = calm !== undefined && nowMs - calm >= this.settings.gatherForMs / 2;
      // Past the incident's own first windows, in which its symptoms spread (more routes, its logs).
      const settled = nowMs - this.incident.openedAtMs >= 2 * AMBIGUOUS_GATHER_FACTOR * this.settings.gatherForMs;
      if (!calmed && settled && !this.signals.has(signal.key)) {
        this.calmSinceMs = undefined;
        this.relapse = {
          calmSinceMs: nowMs - this.settings.gatherForMs,
          startMs: nowMs,
          signals: new Map(),
          failingSpans: [],
          withoutCalm: true,
        };
        return this.watchRelapse(signal, failing, nowMs);
      }
      if (calm === undefined || !calmed) return;
      const before = this.incident?.failingSinceMs;
      this.relapse = {
        calmSinceMs: calm,
        startMs: nowMs,
        signals: new Map(),
        failingSpans: [],
        ...(before === undefined ? {} : { failingSinceBeforeMs: before }),
      };
      this.calmSinceMs = undefined;
      if (this.incident) this.incident.failingSinceMs = nowMs;
      return this.watchRelapse(signal, failing, nowMs);
    }
    const seen = relapse.signals.get(signal.key);
    if (seen) {
      seen.observed = signal.value;
      seen.recovered = signal.withinBaseline || signal.direction !== seen.direction;
      if (failing && !seen.recovered) {
        seen.score = Math.max(seen.score, signal.score);
        seen.lastAnomalousMs = nowMs;
        if (seen.template && signal.template) seen.template.count += signal.template.lines ?? 1;
      }
    } else if (failing && relapse.signals.size < MAX_SIGNALS) {
      relapse.signals.set(signal.key, newEvidence(signal, nowMs));
    }
  }

  /**
   * A failed request. Its error's shape is remembered in every phase: the requests whose failures
   * made an error ratio anomalous were ingested before that bucket was scored and the gathering
   * began, and they are part of the evidence.
   */
  addFailingSpan(span: FailingSpan, nowMs: number): void {
    const shape = span.error;
    if (shape !== undefined) {
      const seen = this.errorShapes.get(shape) ?? [];
      this.errorShapes.delete(shape);
      this.errorShapes.set(shape, [...seen, nowMs].slice(-2));
      if (this.errorShapes.size > MAX_ERROR_SHAPES) this.errorShapes.delete(this.errorShapes.keys().next().value as string);
    }
    if (this.relapse && this.relapse.failingSpans.length < MAX_SPANS) this.relapse.failingSpans.push(span);
    if (this.phase === 'quiet' || this.failingSpans.length >= MAX_SPANS) return;
    this.failingSpans.push(span);
  }

  /**
   * The error shapes that belong to the evidence: seen at least twice (one stray failure is not
   * what is happening) since one gathering window before the first signal (or `since`).
   */
  private recentErrorShapes(since = this.gatherStartMs - this.settings.gatherForMs): FingerprintSignal[] {
    const out: FingerprintSignal[] = [];
    for (const [shape, seen] of this.errorShapes) {
      if (seen.length === 2 && (seen[0] ?? -Infinity) >= since) out.push({ kind: 'error', name: shape, labels: {}, direction: 'up' });
    }
    return out;
  }

  tick(nowMs: number): IncidentTransition[] {
    switch (this.phase) {
      case 'quiet':
        return [];
      case 'gathering': {
        if (nowMs - this.gatherStartMs < this.settings.gatherForMs) return [];
        // A blip is not part of what is happening now: a signal back within its baseline that has
        // not been anomalous in the second half of the window goes. Without this, a blip just
        // before a failure would open the incident early, with the blip in its fingerprint.
        const staleBefore = nowMs - this.settings.gatherForMs / 2;
        for (const [key, s] of this.signals) if (s.recovered && s.lastAnomalousMs < staleBefore) this.signals.delete(key);
        if (this.signals.size === 0) {
          this.reset();
          return [];
        }
        // The window runs from the first signal that stayed: the failure's evidence gets its full time.
        const firstMs = Math.min(...[...this.signals.values()].map((s) => s.firstAnomalousMs));
        if (firstMs > this.gatherStartMs) {
          this.gatherStartMs = firstMs;
          if (nowMs - firstMs < this.settings.gatherForMs) return [];
        }
        if (this.signals.size < this.settings.minSignals) {
          this.reset();
          return [];
        }
        const signals = [...this.signals.values()];
        const evidence = [...signals, ...this.recentErrorShapes()];
        // Evidence between two known kinds, or close to one without matching it, gets up to one
        // more window: what tells the kinds apart (a log line, an error's shape) is often what
        // arrives last, and the fingerprint cannot change once the incident is open.
        // And a new kind is founded on evidence of what users feel: a first occurrence caught on its
        // causes alone (a pool's gauges climbing before requests time out) would found a kind
        // that its later, full occurrences do not match.
        const symptomless = !signals.some((s) => s.symptom) && evidence.length === signals.length;
        if (
          nowMs - this.gatherStartMs < AMBIGUOUS_GATHER_FACTOR * this.settings.gatherForMs &&
          (this.catalog.isAmbiguous(this.target, evidence) || (symptomless && this.catalog.isNew(this.target, evidence)))
        ) {
          return [];
        }
        this.incident = {
          incidentId: this.newId(),
          target: this.target,
          fingerprint: this.catalog.assign(this.target, evidence),
          openedAtMs: this.gatherStartMs,
          signals,
          failingSpans: this.failingSpans,
        };
        this.phase = 'open';
        this.openingKeys = new Set(this.signals.keys());
        this.dirty = false;
        this.lastUpdateMs = nowMs;
        return [{ type: 'opened', incident: this.view() }];
      }
      case 'open': {
        // The incident is over when the signals it opened with are back. Signals that joined later
        // are evidence, not the criterion: a series born during the incident (health probes of the
        // verification, say) has only the incident as its history. Among those, when there are
        // symptoms, they decide: internal measurements may settle at a new level after a remedy
        // (a recreated pool, a restart).
        const all = [...this.signals.values()].filter((s) => this.openingKeys.has(s.key));
        const symptoms = all.filter((s) => s.symptom);
        const signals = symptoms.length > 0 ? symptoms : all;
        const lastAnomalous = Math.max(...signals.map((s) => s.lastAnomalousMs));
        if (nowMs - this.lastObservationMs >= this.settings.expireAfterMs) {
          return [this.resolve(nowMs, 'expired')];
        }
        if (this.relapse === undefined && signals.every((s) => s.recovered) && nowMs - lastAnomalous >= this.settings.resolveAfterMs) {
          return [this.resolve(nowMs, 'self-healed')];
        }
        if (this.relapse !== undefined) {
          const relapsed = this.judgeRelapse(this.relapse, nowMs);
          if (relapsed.length > 0) return relapsed;
        } else if (this.healthSignals().every((s) => s.recovered)) {
          this.calmSinceMs ??= nowMs;
        } else if (this.drifting()) {
          // A symptom back out of its band without being anomalous since the calm began (a p95 a
          // few ms above a tight band) is no failure: the calm goes on. Ending it here left the
          // failure that followed no calm to begin a relapse from, and a failingSince after the
          // fix, which the decider leaves to the analyzer: nobody acted on it.
        } else {
          // Failing again after a real calm (on a signal that is no symptom, so no relapse was started).
          const calm = this.calmSinceMs;
          if (calm !== undefined && nowMs - calm >= this.settings.gatherForMs / 2 && this.incident) this.incident.failingSinceMs = nowMs;
          this.calmSinceMs = undefined;
        }
        if (this.dirty && nowMs - this.lastUpdateMs >= this.settings.updateEveryMs) {
          this.dirty = false;
          this.lastUpdateMs = nowMs;
          return [{ type: 'updated', incident: this.view() }];
        }
        return [];
      }
    }
  }

  /** While calm: every health signal not back within its band is a symptom that has not been anomalous since the calm began. */
  private drifting(): boolean {
    const calm = this.calmSinceMs;
    return calm !== undefined && this.healthSignals().every((s) => s.recovered || (s.symptom && s.lastAnomalousMs < calm));
  }

  /** What says whether the target is healthy: its symptoms (any the incident gathered), else the signals it opened with. */
  private healthSignals(): EvidenceSeries[] {
    const all = [...this.signals.values()];
    const symptoms = all.filter((s) => s.symptom);
    return symptoms.length > 0 ? symptoms : all.filter((s) => this.openingKeys.has(s.key));
  }

  /**
   * A relapse's evidence, once it has had a gathering window: the incident's own kind again is a
   * relapse of the open incident, which its next update reports (relapsedAt) so the decider acts
   * again; another kind resolves the incident and opens one of its own, linked to it. Too little
   * evidence was a blip, and is dropped.
   * Another kind, or evidence between kinds, always gets a second window: a failure's first
   * seconds are its causes and its latency (a pool's gauges, a slower p95), which several kinds
   * share, while what tells them apart (its errors, its log lines) comes later — and the
   * fingerprint cannot change once the incident is open. The same kind again is reported at once:
   * its remedy is known, and waiting only lengthens the relapse. But it is judged again until its
   * second window is over, for the same reason: another kind whose first seconds look like this
   * one's (a bad config's errors before its log lines arrive, after a retry storm's) is split off
   * as an incident of its own as soon as its evidence says so, instead of being healed, or not,
   * under the wrong kind.
   */
  private judgeRelapse(relapse: Relapse, nowMs: number): IncidentTransition[] {
    const incident = this.incident;
    if (incident === undefined || nowMs - relapse.startMs < this.settings.gatherForMs) return [];
    // As at an opening, a blip is not part of what is happening now.
    const staleBefore = nowMs - this.settings.gatherForMs / 2;
    for (const [key, s] of relapse.signals) if (s.recovered && s.lastAnomalousMs < staleBefore) relapse.signals.delete(key);
    const signals = [...relapse.signals.values()];
    if (signals.length === 0) {
      // Only a blip: as if there had been no relapse. The calm it interrupted goes on, so that a
      // failure that follows is a relapse of its own — not a failure the incident cannot see
      // (no calm to begin a relapse from) and the decider takes for the analyzer's to judge
      // (failing since after the fix). A relapse reported, and over since (its fix took), is no
      // blip: the next calm begins when the next tick finds every symptom back.
      this.relapse = undefined;
      if (relapse.reported || relapse.withoutCalm) return [];
      this.calmSinceMs = relapse.calmSinceMs;
      if (relapse.failingSinceBeforeMs === undefined) delete incident.failingSinceMs;
      else incident.failingSinceMs = relapse.failingSinceBeforeMs;
      return [];
    }
    // As at an opening, the window runs from the first signal that stayed: a blip that began the
    // relapse does not cut the failure's own evidence short.
    const firstMs = Math.min(...signals.map((s) => s.firstAnomalousMs));
    if (firstMs > relapse.startMs) {
      relapse.startMs = firstMs;
      if (!relapse.withoutCalm) incident.failingSinceMs = firstMs;
      if (nowMs - firstMs < this.settings.gatherForMs) return [];
    }
    const elapsed = nowMs - relapse.startMs;
    const patient = elapsed < AMBIGUOUS_GATHER_FACTOR * this.settings.gatherForMs;
    if (signals.length < this.settings.minSignals) {
      if (!patient) this.relapse = undefined;
      return [];
    }
    const evidence = [...signals, ...this.recentErrorShapes(relapse.calmSinceMs)];
    const kind = this.catalog.match(this.target, evidence);
    if (patient && (kind !== incident.fingerprint || this.catalog.isAmbiguous(this.target, evidence))) return [];
    if (kind === incident.fingerprint) {
      if (!relapse.reported && !relapse.withoutCalm) {
        // When its symptoms were last failing, not when they began to: a relapse that began as a fix
        // was being verified (a retry policy's latency, say) and went on failing is still one after it.
        incident.relapsedAtMs = Math.max(...signals.map((x) => x.lastAnomalousMs));
        relapse.reported = true;
        if (!patient) this.relapse = undefined;
        // Reported now, not at the next periodic update: the decider acts on it, and every second
        // of waiting is a second more of the relapse.
        this.dirty = false;
        this.lastUpdateMs = nowMs;
        return [{ type: 'updated', incident: this.view() }];
      }
      if (!patient) this.relapse = undefined;
      return [];
    }
    this.relapse = undefined;
    const previous = this.resolve(nowMs, 'self-healed');
    this.phase = 'open';
    for (const s of signals) this.signals.set(s.key, s);
    this.failingSpans = relapse.failingSpans;
    this.openingKeys = new Set(relapse.signals.keys());
    this.incident = {
      incidentId: this.newId(),
      target: this.target,
      fingerprint: this.catalog.assign(this.target, evidence),
      openedAtMs: relapse.startMs,
      signals,
      failingSpans: this.failingSpans,
      previousIncidentId: incident.incidentId,
    };
    this.lastUpdateMs = nowMs;
    return [previous, { type: 'opened', incident: this.view() }];
  }

  snapshot(): TrackerSnapshot {
    return {
      phase: this.phase,
      gatherStartMs: this.gatherStartMs,
      lastObservationMs: this.lastObservationMs,
      signals: [...this.signals.values()].map(copyEvidence),
      failingSpans: [...this.failingSpans],
      ...(this.incident
        ? {
            incident: {
              incidentId: this.incident.incidentId,
              fingerprint: this.incident.fingerprint,
              openedAtMs: this.incident.openedAtMs,
              ...(this.incident.previousIncidentId === undefined ? {} : { previousIncidentId: this.incident.previousIncidentId }),
              ...(this.incident.relapsedAtMs === undefined ? {} : { relapsedAtMs: this.incident.relapsedAtMs }),
              ...(this.incident.failingSinceMs === undefined ? {} : { failingSinceMs: this.incident.failingSinceMs }),
            },
          }
        : {}),
      openingKeys: [...this.openingKeys],
      ...(this.calmSinceMs === undefined ? {} : { calmSinceMs: this.calmSinceMs }),
      ...(this.relapse
        ? {
            relapse: {
              calmSinceMs: this.relapse.calmSinceMs,
              startMs: this.relapse.startMs,
              signals: [...this.relapse.signals.values()].map(copyEvidence),
              failingSpans: [...this.relapse.failingSpans],
              ...(this.relapse.reported ? { reported: true } : {}),
              ...(this.relapse.failingSinceBeforeMs === undefined ? {} : { failingSinceBeforeMs: this.relapse.failingSinceBeforeMs }),
              ...(this.relapse.withoutCalm ? { withoutCalm: true } : {}),
            },
          }
        : {}),
      knownFingerprints: this.catalog.snapshot(),
      errorShapes: [...this.errorShapes].map(([shape, seen]) => [shape, [...seen]]),
    };
  }

  /** Continues from a snapshot; the clock of a restored tracker is the caller's (`nowMs` on ticks). */
  restore(snapshot: TrackerSnapshot): void {
    this.reset();
    this.phase = snapshot.phase;
    this.gatherStartMs = snapshot.gatherStartMs;
    this.lastObservationMs = snapshot.lastObservationMs;
    for (const x of snapshot.signals) this.signals.set(x.key, { ...x });
    this.failingSpans = [...snapshot.failingSpans];
    if (snapshot.incident) this.incident = { ...snapshot.incident, target: this.target, signals: [], failingSpans: [] };
    this.openingKeys = new Set(snapshot.openingKeys ?? this.signals.keys());
    this.calmSinceMs = snapshot.calmSinceMs;
    if (snapshot.relapse) {
      const { calmSinceMs, startMs, signals, failingSpans, reported, failingSinceBeforeMs, withoutCalm } = snapshot.relapse;
      this.relapse = {
        calmSinceMs,
        startMs,
        signals: new Map(signals.map((x) => [x.key, copyEvidence(x)])),
        failingSpans: [...failingSpans],
        ...(reported ? { reported } : {}),
        ...(failingSinceBeforeMs === undefined ? {} : { failingSinceBeforeMs }),
        ...(withoutCalm ? { withoutCalm } : {}),
      };
    }
    if (snapshot.knownFingerprints) this.catalog.restore(snapshot.knownFingerprints);
    this.errorShapes.clear();
    for (const [shape, seen] of (snapshot.errorShapes ?? []).slice(-MAX_ERROR_SHAPES)) {
      if (typeof shape === 'string' && Array.isArray(seen)) this.errorShapes.set(shape, seen.filter(Number.isFinite).slice(-2));
    }
    if (this.phase === 'open' && !this.incident) this.phase = 'quiet';
  }

  private resolve(nowMs: number, resolution: 'self-healed' | 'expired'): IncidentTransition {
    const incident = this.view();
    this.reset();
    return { type: 'resolved', incident, resolvedAtMs: nowMs, resolution };
  }

  private view(): IncidentState {
    const base = this.incident;
    if (!base) throw new Error(`no open incident for ${this.target}`);
    const failing = this.phase === 'open' ? this.healthSignals().filter((s) => !s.recovered) : [];
    const { failingSinceMs, ...rest } = base;
    return {
      ...rest,
      ...(failing.length === 0
        ? {}
        : { failingAtMs: Math.max(...failing.map((s) => s.lastAnomalousMs)), failingSinceMs: failingSinceMs ?? base.openedAtMs }),
      signals: [...this.signals.values()].map((s) => ({ ...s, labels: { ...s.labels } })),
      failingSpans: [...this.failingSpans],
    };
  }

  private reset(): void {
    this.phase = 'quiet';
    this.signals.clear();
    this.openingKeys.clear();
    this.failingSpans = [];
    this.incident = undefined;
    this.dirty = false;
    this.calmSinceMs = undefined;
    this.relapse = undefined;
  }
}

function copyEvidence(x: EvidenceSeries): EvidenceSeries {
  return { ...x, labels: { ...x.labels }, ...(x.template ? { template: { ...x.template } } : {}) };
}

/** A signal's first anomalous observation, as evidence. */
function newEvidence(signal: ScoredSignal, nowMs: number): EvidenceSeries {
  return {
    key: signal.key,
    kind: signal.kind,
    name: signal.name,
    labels: signal.labels,
    score: signal.score,
    direction: signal.direction,
    firstAnomalousMs: nowMs,
    lastAnomalousMs: nowMs,
    observed: signal.value,
    baseline: signal.baseline,
    recovered: false,
    symptom: signal.symptom ?? false,
    ...(signal.template
      ? {
          template: {
            id: signal.template.id,
            text: signal.template.text,
            ...(signal.template.sample ? { sample: signal.template.sample } : {}),
            count: signal.template.lines ?? 1,
          },
        }
      : {}),
  };
}
