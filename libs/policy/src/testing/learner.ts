import { isVerifiedOutcome, type KnowledgeUpdated, type OutcomeRecorded } from '@homeostat/contracts';

/**
 * The knowledge the learner publishes for one fingerprint × action, from its outcome ledger: the
 * same rule as services/learner (knowledge.service.ts), without ClickHouse. Counts the verified
 * outcomes, each decision once (the ledger is read with FINAL); time to recover over the successes
 * that report one (mean, and the median interpolated as ClickHouse's quantile(0.5) does).
 */
export function knowledgeOf(
  ledger: Iterable<OutcomeRecorded>,
  loop: string,
  fingerprint: string,
  action: string,
): KnowledgeUpdated | undefined {
  const latest = new Map<string, OutcomeRecorded>();
  for (const o of ledger) latest.set(o.decisionId, o);
  const counted = [...latest.values()].filter(
    (o) => isVerifiedOutcome(o) && o.loop === loop && o.fingerprint === fingerprint && o.action.name === action,
  );
  if (counted.length === 0) return undefined;
  const successes = counted.filter((o) => o.status === 'succeeded');
  const times = successes.flatMap((o) => (o.timeToRecoverMs === null ? [] : [o.timeToRecoverMs])).sort((a, b) => a - b);
  const failures = counted.length - successes.length;
  return {
    loop,
    fingerprint,
    action,
    tries: counted.length,
    successes: successes.length,
    failures,
    meanTimeToRecoverMs: times.length === 0 ? null : times.reduce((s, t) => s + t, 0) / times.length,
    p50TimeToRecoverMs: median(times),
    lastOutcomeAt: new Date(Math.max(...counted.map((o) => Date.parse(o.finishedAt)))).toISOString(),
    posterior: { alpha: 1 + successes.length, beta: 1 + failures },
  };
}

function median(sorted: number[]): number | null {
  if (sorted.length === 0) return null;
  const at = (sorted.length - 1) / 2;
  const low = sorted[Math.floor(at)]!;
  const high = sorted[Math.ceil(at)]!;
  return low + (high - low) * (at - Math.floor(at));
}

/** The learner as the decider sees it: each outcome goes into the ledger, and a verified one comes back as knowledge. */
export class TestLearner {
  private readonly ledger: OutcomeRecorded[] = [];

  record(outcome: OutcomeRecorded): KnowledgeUpdated | undefined {
    this.ledger.push(outcome);
    return isVerifiedOutcome(outcome) ? knowledgeOf(this.ledger, outcome.loop, outcome.fingerprint, outcome.action.name) : undefined;
  }
}
