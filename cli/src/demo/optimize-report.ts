/** What `homeostat demo --loop optimize` measured (its --json is OptimizeDemoReport), and its terminal table. */

/** Why an experiment of the demo was started: the three steps of the scenario. */
export type OptimizeDemoStep = 'search' | 'regime-returns' | 'guard-breaks';

/** One experiment of the optimize demo, as `--json` writes it; every figure is read from its decision and outcome events. */
export interface OptimizeDemoExperiment {
  step: OptimizeDemoStep;
  decisionId: string;
  route: string;
  regime: string;
  knob: string;
  /** The knob change in words, from the decision's experiment. */
  change: string;
  /** The regime's known-good config applied as it is (no experiment designed). */
  knownGood: boolean;
  chosenBecause: string;
  objective: 'p50' | 'p99';
  /** The objective's median over the baseline and the trial buckets (ms). */
  beforeMs: number | null;
  afterMs: number | null;
  /** Hodges-Lehmann shift baseline − trial (ms; positive = faster) and its interval, with the one-sided Mann-Whitney p-value. */
  effectMs: number | null;
  effectLowMs: number | null;
  effectHighMs: number | null;
  pValue: number | null;
  baselineBuckets: number;
  /** Which buckets the baseline held and which config served them (the outcome's baselineWindow); null when not read. */
  baselineWindow: string | null;
  trialBuckets: number;
  guards: { name: string; passed: boolean; detail: string }[];
  verdict: 'kept' | 'rolled-back' | 'not-kept' | 'failed';
  reason: string;
  /**
   * The first opportunity event of the experiment's incident in its step (the run's start, or the
   * loop's resume; the resume itself when the opportunity was already open), and the outcome's finishedAt.
   */
  opportunityAt: string;
  verdictAt: string;
  opportunityToVerdictMs: number;
}

/** The regime-returns step: the known-good config of a regime applied again without a new search. */
export interface OptimizeDemoRegimeReturn {
  route: string;
  regime: string;
  /** The kept experiment whose config is the regime's known-good one, and the decision that applied it again. */
  keptDecisionId: string;
  appliedDecisionId: string;
  /** The applied action's params (the actuator call with the config) equal the kept one's. */
  sameConfig: boolean;
  knownGood: boolean;
  chosenBecause: string;
  opportunityToAppliedMs: number;
}

export interface OptimizeDemoReport {
  seed: number;
  rps: number;
  gateway: string;
  experiments: OptimizeDemoExperiment[];
  regimeReturns: OptimizeDemoRegimeReturn | null;
  requestsSent: number;
  /** Answered with an error status (the guard step's injected faults), and not answered at all. */
  requestsErrored: number;
  requestsFailed: number;
}

const ms = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} ms`);

/** The terminal table: one row per experiment, then the regime-returns step. */
export function formatOptimizeReport(report: OptimizeDemoReport): string {
  const rows = report.experiments.map((x) => [
    x.step,
    x.route,
    x.regime,
    `${x.knob}: ${x.change}${x.knownGood ? ' (known-good)' : ''}`,
    `${x.objective} ${ms(x.beforeMs)} → ${ms(x.afterMs)}`,
    x.effectMs === null
      ? '-'
      : `${x.effectMs.toFixed(1)} ms [${x.effectLowMs?.toFixed(1) ?? '?'}, ${x.effectHighMs?.toFixed(1) ?? '?'}] p=${x.pValue === null ? '-' : x.pValue.toPrecision(2)}`,
    x.guards.map((g) => `${g.passed ? 'ok' : 'BROKEN'}: ${g.detail}`).join('; ') || '-',
    x.verdict,
    `${(x.opportunityToVerdictMs / 1000).toFixed(1)} s`,
  ]);
  const head = [
    'step',
    'route',
    'regime',
    'knob change',
    'objective before → after',
    'shift [interval] p',
    'guards',
    'verdict',
    'opportunity → verdict',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const back = report.regimeReturns;
  out.push('');
  for (const x of report.experiments) out.push(`baseline of ${x.step}: ${x.baselineWindow ?? 'not read'}`);
  if (back === null) out.push('regime returns: not played (the searched experiment was not kept, so the regime has no known-good config)');
  else
    out.push(
      `regime returns: ${back.route} ${back.regime} — ${back.knownGood ? 'known-good config applied, no new search' : 'a new experiment was designed'}` +
        ` ${back.opportunityToAppliedMs} ms after the opportunity; config ${back.sameConfig ? 'identical to' : 'DIFFERENT from'}` +
        ` kept decision ${back.keptDecisionId} (${back.appliedDecisionId}); why: ${back.chosenBecause}`,
    );
  out.push(
    `load: ${report.requestsSent} requests sent, ${report.requestsErrored} answered with an error, ${report.requestsFailed} not answered` +
      ` (seed ${report.seed}, ${report.rps}/s)`,
  );
  return out.join('\n');
}
