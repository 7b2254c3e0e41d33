import { InvalidArgumentError } from 'commander';
import { parseDemoLoop } from '../commands/demo.command';
import { formatOptimizeReport, type OptimizeDemoExperiment, type OptimizeDemoReport } from './optimize-report';

function experiment(extra: Partial<OptimizeDemoExperiment>): OptimizeDemoExperiment {
  return {
    step: 'search',
    decisionId: 'd1',
    route: 'catalog',
    regime: 'rate=32-64,keys=hot,upstream=ok',
    knob: 'cache',
    change: 'cache catalog: TTL 22500 ms',
    knownGood: false,
    chosenBecause: 'designed',
    objective: 'p50',
    beforeMs: 43,
    afterMs: 0.25,
    effectMs: 42.8,
    effectLowMs: 41.1,
    effectHighMs: 103.6,
    pValue: 0.00073,
    baselineBuckets: 8,
    baselineWindow: '8 bucket(s) 18:41:37–18:41:45 UTC served by config version 1, the one live before the change',
    trialBuckets: 8,
    guards: [{ name: 'guard', passed: true, detail: 'no guard broken over the trial window' }],
    verdict: 'kept',
    reason: 'improved beyond noise',
    opportunityAt: '2026-12-03T18:41:46.132Z',
    verdictAt: '2026-12-03T18:41:58.029Z',
    opportunityToVerdictMs: 11_897,
    ...extra,
  };
}

describe('homeostat demo --loop optimize', () => {
  it('takes optimize as a demo loop, and refuses an unknown kind', () => {
    expect(parseDemoLoop('optimize')).toBe('optimize');
    expect(parseDemoLoop('repair')).toBe('repair');
    expect(() => parseDemoLoop('tune')).toThrow(InvalidArgumentError);
  });

  it('prints a row per experiment with its measured figures, then the regime-returns step', () => {
    const report: OptimizeDemoReport = {
      seed: 1,
      rps: 45,
      gateway: 'http://127.0.0.1:1',
      experiments: [
        experiment({}),
        experiment({
          step: 'guard-breaks',
          decisionId: 'd3',
          knownGood: true,
          effectMs: null,
          pValue: null,
          guards: [{ name: 'guard', passed: false, detail: 'error ratio 0.208 in a trial bucket' }],
          verdict: 'rolled-back',
          baselineWindow: null,
          opportunityToVerdictMs: 4_915,
        }),
      ],
      regimeReturns: {
        route: 'catalog',
        regime: 'rate=32-64,keys=hot,upstream=ok',
        keptDecisionId: 'd1',
        appliedDecisionId: 'd2',
        sameConfig: true,
        knownGood: true,
        chosenBecause: 'known-good config of this regime',
        opportunityToAppliedMs: 12,
      },
      requestsSent: 2589,
      requestsErrored: 40,
      requestsFailed: 0,
    };
    const lines = formatOptimizeReport(report).split('\n');
    expect(lines[2]).toMatch(
      /^search\s+catalog\s+rate=32-64,keys=hot,upstream=ok\s+cache: cache catalog: TTL 22500 ms\s+p50 43\.0 ms → 0\.3 ms/,
    );
    expect(lines[2]).toMatch(/42\.8 ms \[41\.1, 103\.6\] p=0\.00073\s+ok: no guard broken over the trial window\s+kept\s+11\.9 s$/);
    expect(lines[3]).toMatch(/\(known-good\).*\s-\s+BROKEN: error ratio 0\.208 in a trial bucket\s+rolled-back\s+4\.9 s$/);
    expect(lines).toContain(
      'baseline of search: 8 bucket(s) 18:41:37–18:41:45 UTC served by config version 1, the one live before the change',
    );
    expect(lines).toContain('baseline of guard-breaks: not read');
    expect(lines).toContain(
      'regime returns: catalog rate=32-64,keys=hot,upstream=ok — known-good config applied, no new search 12 ms after the opportunity;' +
        ' config identical to kept decision d1 (d2); why: known-good config of this regime',
    );
    expect(lines.at(-1)).toBe('load: 2589 requests sent, 40 answered with an error, 0 not answered (seed 1, 45/s)');
  });

  it('says so when the regime-returns step could not be played', () => {
    const text = formatOptimizeReport({
      seed: 1,
      rps: 45,
      gateway: 'http://127.0.0.1:1',
      experiments: [experiment({ verdict: 'not-kept' })],
      regimeReturns: null,
      requestsSent: 10,
      requestsErrored: 0,
      requestsFailed: 0,
    });
    expect(text).toMatch(/regime returns: not played/);
  });
});
