import { parseDuration, type Candidate, type Experiment } from '@homeostat/contracts';
import { actuatorCall, designExperiments, experimentGuards, type ExperimentCandidate, type KnownOutcome } from '@homeostat/optimize';
import { describeGuardrails, escalation, guardrailGate } from './gate';
import { RULED_OUT, type DecisionPlan, type PlanInput } from './plan';
import type { PolicyState } from './policy-state';

export interface ExperimentPlan extends DecisionPlan {
  experiment?: Experiment;
}

const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;

/**
 * The decision of an `optimize` loop (DESIGN.md, "Three kinds of loop"): the next configuration
 * change to try on the incident's route, as an experiment — designed by @homeostat/optimize from
 * what the analyzer saw and what the learner knows about the regime — under the same guardrails
 * as a remediation: kill switch, pause, circuit breaker, budget, cooldown, blast radius, approval,
 * dry-run and autonomy decide whether it runs, waits for a person, is only recorded, or escalates.
 */
export function planExperiment(input: PlanInput): ExperimentPlan {
  const { state, loop, incident, attempts, now } = input;
  const spec = loop.spec.optimize;
  const observation = incident.optimize;
  const last = attempts[attempts.length - 1];
  const attempt = attempts.length + 1;
  const chain = last === undefined ? {} : { previousDecisionId: last.decisionId };
  // Besides what failed: what the executor skipped as already live, and what was kept on this
  // opportunity when the telemetry does not name the live knobs (the next decision is for what the
  // kept change left open). With them, a kept change still live is no change to the design, and one
  // a person undid since is one to make again.
  const keptOut = observation?.live === undefined;
  const ruledOut = new Set(
    attempts.flatMap((a) =>
      a.action !== null && (RULED_OUT.has(a.status) || a.status === 'skipped' || (keptOut && a.status === 'succeeded')) ? [a.action] : [],
    ),
  );
  const known = knownOutcomes(state, incident.fingerprint);
  const designed =
    spec === undefined || observation === undefined
      ? []
      : designExperiments({ spec, observation, ruledOut, catalog: new Set(loop.spec.actions.map((a) => a.name)), known });
  const best = designed.find((c) => c.eligible);
  const actionSpec = best === undefined ? undefined : loop.spec.actions.find((a) => a.name === best.action);
  const gate = guardrailGate({ state, loop, incident, attempts, now, action: actionSpec });
  const level = gate.level;
  const explanationBase = {
    evidenceSummary:
      observation === undefined
        ? `${incident.title} (no route observation: not an optimize incident)`
        : `${observation.kind} on route ${observation.route} in regime ${observation.regime}: ${observation.rps.toFixed(1)} req/s, ` +
          `p50 ${Math.round(observation.p50Ms)} ms, p99 ${Math.round(observation.p99Ms)} ms, errors ${pct(observation.errorRatio)}, ` +
          `cache hits ${pct(observation.cacheHitRatio)} of ${pct(observation.repeatRatio)} repeated keys, retries ${pct(observation.retryRatio)} ` +
          `over ${observation.buckets} buckets (${observation.windowStart} – ${observation.windowEnd})`,
    candidates: designed.map((c) => candidateOf(c, c === best)),
    guardrails: gate.checks.map((c) => c.check),
  };
  const escalate = escalation({ autonomyLevel: level, attempt, ...chain }, explanationBase);
  const { blocking, waiting, mode } = gate;
  const wouldTry = best === undefined ? '' : ` (would have tried: ${best.change})`;
  if (blocking.length > 0) return { ...escalate(`no experiment: ${describeGuardrails(blocking)}${wouldTry}`), blocked: true };
  if (spec === undefined || observation === undefined || best === undefined || actionSpec === undefined) {
    return escalate(
      `no experiment left to try on this ${observation?.kind ?? 'incident'}` +
        (ruledOut.size > 0 ? ` (tried: ${[...ruledOut].join(', ')})` : '') +
        (observation?.kind === 'regression' ? ': the route breaks its SLO and people must look' : ''),
    );
  }
  if (gate.retryAt !== undefined)
    return escalate(
      `experiment waits: ${describeGuardrails(waiting)}; allowed again at ${new Date(gate.retryAt).toISOString()}${wouldTry}`,
      gate.retryAt,
    );
  const route = spec.routes[observation.route];
  if (route === undefined) return escalate(`route ${observation.route} is not in the loop's optimize section`);
  const experiment: Experiment = {
    route: observation.route,
    regime: observation.regime,
    knob: best.knob,
    change: best.change,
    knownGood: best.knownGood,
    objective: spec.objective,
    bucketMs: parseDuration(spec.bucket),
    baselineBuckets: spec.baselineBuckets,
    trialBuckets: spec.trialBuckets,
    minRequestsPerBucket: spec.minRequestsPerBucket,
    alpha: spec.alpha,
    minImprovement: spec.minImprovement,
    guards: experimentGuards(spec, route, observation),
    expectedGain: Number(best.expectedGain.toFixed(4)),
    ...(best.judgedBy === undefined ? {} : { judgedBy: best.judgedBy }),
  };
  const others = designed.filter((c) => c !== best && c.eligible).map((c) => `${c.change} (gain ~${pct(c.expectedGain)})`);
  const why =
    `${best.knownGood ? 'known-good config of this regime' : `experiment: ${best.change}`} — ${best.why}; ` +
    (best.judgedBy === 'guards'
      ? `designed gain ~${pct(best.expectedGain)}, not measured against the ${spec.objective}; `
      : `expected gain ~${pct(best.expectedGain)} of the ${spec.objective}; `) +
    (best.judgedBy === 'guards'
      ? `kept if the trial's ${spec.trialBuckets} buckets of ${spec.bucket} hold its guards; `
      : `kept if the trial's ${spec.trialBuckets} buckets of ${spec.bucket} lower the ${spec.objective} below the baseline's ` +
        `by the one-sided Mann-Whitney test at ${spec.alpha} and by at least ${pct(spec.minImprovement)}; `) +
    `rolled back at once if p99 > ${Math.round(experiment.guards.p99MaxMs)} ms twice in a row or errors > ${pct(experiment.guards.errorRatioMax)}` +
    (experiment.guards.neverCached ? ' or any answer comes from a cache' : '') +
    (others.length > 0 ? `; alternatives: ${others.join(', ')}` : '; no alternative') +
    gate.modeWhy;
  return {
    action: { name: best.action, adapter: actionSpec.adapter, params: actuatorCall(spec, best.patch) },
    mode,
    autonomyLevel: level,
    attempt,
    ...chain,
    explanation: { ...explanationBase, chosenBecause: why },
    experiment,
  };
}

/**
 * What is known about each action against the regime: the learner's counts, and the outcomes the
 * decider saw itself that those counts do not include yet (`outcomesAhead`); the params are the
 * latest kept config's.
 */
export function knownOutcomes(state: PolicyState, fingerprint: string): KnownOutcome[] {
  const learned = state.knowledge[fingerprint] ?? {};
  const ahead = state.outcomesAhead?.[fingerprint] ?? {};
  return [...new Set([...Object.keys(learned), ...Object.keys(ahead)])].map((action) => {
    const s = learned[action];
    const seen = ahead[action] ?? [];
    const params = [...seen].sort((a, b) => b.at - a.at).find((o) => o.held && o.params !== undefined)?.params ?? s?.params;
    return {
      action,
      successes: (s?.successes ?? 0) + seen.filter((o) => o.held).length,
      failures: (s?.failures ?? 0) + seen.filter((o) => !o.held).length,
      ...(params === undefined ? {} : { params }),
    };
  });
}

function candidateOf(c: ExperimentCandidate, chosen: boolean): Candidate {
  return {
    action: c.action,
    score: Number(c.expectedGain.toFixed(4)),
    eligible: c.eligible,
    reason: `${chosen ? 'chosen: ' : ''}${c.change}: ${c.why}`,
  };
}
