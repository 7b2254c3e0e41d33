import { parseLoopSpec, type Hypothesis, type IncidentOpened, type LoopSpec } from '@homeostat/contracts';
import { sampleIncidentOpened } from '@homeostat/contracts/testing';
import { createDecider, type Decider, type DeciderInput } from './decider';
import { planDecision } from './plan';
import { initialPolicyState } from './policy-state';
import { createRng } from './rng';
import { hypothesisFit } from './scoring';
import { at, deciderSpec, history } from './testing/decider-spec';
import { incident as fixtureIncident } from './testing/fixtures';

/** The shop's catalog as examples/shop/loops/shop.yaml declares it: what each action addresses, never which fault it fixes. */
const SPEC = `apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: shop, version: 1.0.0 }
spec:
  target: { service: shop }
  signals: [{ kind: span, name: "*" }]
  actions:
    - { name: recycle-pool, adapter: http, params: { url: "http://shop/actuator/pool/recycle" }, risk: low, cost: 1, addresses: [db-pool] }
    - { name: enable-cache, adapter: http, params: { url: "http://shop/actuator/config" }, risk: medium, cost: 2, addresses: [downstream] }
    - { name: set-retry-policy, adapter: http, params: { url: "http://shop/actuator/config" }, risk: medium, cost: 2, addresses: [downstream, retry-policy] }
    - { name: rollback-config, adapter: http, params: { url: "http://shop/actuator/config/rollback" }, risk: medium, cost: 2, addresses: [config-change] }
    - { name: restart, adapter: http, params: { url: "http://shop/actuator/restart" }, risk: high, cost: 5, addresses: [process] }
  guardrails:
    budget: { maxActions: 100, window: 10m }
    cooldown: 0s
    blastRadius: { maxConcurrent: 1 }
    circuitBreaker: { consecutiveFailures: 10 }
    approval: { aboveRisk: never }
    dryRun: false
  verification:
    healthCheck: { url: "http://shop/health", consecutive: 3, interval: 2s }
    deadline: 30s
`;

function shopLoop(spec = SPEC): LoopSpec {
  const parsed = parseLoopSpec(spec);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

const component = (name: string, score: number, peer?: string) => ({ name, score, reasons: [], ...(peer ? { peer } : {}) });
const hypothesis = (components: ReturnType<typeof component>[]): Hypothesis => ({
  summary: `shop (${components[0]!.name})`,
  suspect: { service: 'shop', component: components[0]!.name },
  confidence: components[0]!.score,
  components,
  evidenceRefs: [],
});

/** What the analyzer concludes on each fault's recorded opening evidence (see suspect-component.spec.ts in @homeostat/analysis). */
const HYPOTHESES: Record<string, { hypothesis: Hypothesis; fix: string }> = {
  'pool-leak': { hypothesis: hypothesis([component('db-pool', 0.99)]), fix: 'recycle-pool' },
  'slow-dependency': { hypothesis: hypothesis([component('downstream', 0.99, 'inventory')]), fix: 'enable-cache' },
  'retry-storm': {
    hypothesis: hypothesis([component('downstream', 0.99, 'inventory'), component('retry-policy', 0.99)]),
    fix: 'set-retry-policy',
  },
  'bad-config': { hypothesis: hypothesis([component('config-change', 0.77)]), fix: 'rollback-config' },
};

/** How often each action is the first choice for a new fingerprint, over many incidents' random draws. */
function firstChoices(loop: LoopSpec, h: Hypothesis | undefined, n = 400): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let seed = 0; seed < n; seed++) {
    const base = fixtureIncident('new-kind');
    const { hypothesis: _ignored, ...withoutHypothesis } = base;
    const incident = h === undefined ? withoutHypothesis : { ...base, hypothesis: h };
    const name = planDecision({ state: initialPolicyState(), loop, incident, attempts: [], now: 0, rng: createRng(seed) }).action?.name;
    counts[name ?? 'none'] = (counts[name ?? 'none'] ?? 0) + 1;
  }
  return counts;
}

describe('hypothesisFit: how an action fits what the hypothesis suspects', () => {
  const loop = shopLoop();
  const action = (name: string) => loop.spec.actions.find((a) => a.name === name)!;

  it('gives the most specific action that covers the suspicion the best fit', () => {
    const slow = HYPOTHESES['slow-dependency']!.hypothesis;
    const storm = HYPOTHESES['retry-storm']!.hypothesis;
    expect(hypothesisFit(action('enable-cache'), slow).fit).toBeCloseTo(1);
    expect(hypothesisFit(action('set-retry-policy'), slow).fit).toBeCloseTo(0.25);
    expect(hypothesisFit(action('set-retry-policy'), storm).fit).toBeCloseTo(1);
    expect(hypothesisFit(action('enable-cache'), storm).fit).toBeCloseTo(0.25);
    expect(hypothesisFit(action('restart'), storm)).toMatchObject({ fit: 0, weight: 0, matched: [] });
  });

  it('reads a hypothesis without components by its suspect component, and an action without addresses not at all', () => {
    const old: Hypothesis = { summary: 's', suspect: { service: 'shop', component: 'db-pool' }, confidence: 0.8, evidenceRefs: [] };
    expect(hypothesisFit(action('recycle-pool'), old)).toMatchObject({ fit: 1, weight: 0.8, matched: ['db-pool'] });
    const { addresses: _none, ...plain } = action('recycle-pool');
    expect(hypothesisFit(plain, old).weight).toBe(0);
  });
});

describe('planDecision for a new kind of failure: the hypothesis ranks the catalog', () => {
  it.each(Object.entries(HYPOTHESES))(
    'given the %s hypothesis and no outcome yet, when deciding, then the action that addresses it comes first about 9 times in 10, and others are still explored',
    (_fault, { hypothesis: h, fix }) => {
      const counts = firstChoices(shopLoop(), h);
      expect(counts[fix]).toBeGreaterThanOrEqual(0.8 * 400);
      // A prior, not a rule: the others keep a chance.
      expect(counts[fix]).toBeLessThan(400);
    },
  );

  it('given no hypothesis, or a catalog that says nothing about what it addresses, then the ranking is the spec prior alone as before', () => {
    const withoutAddresses = shopLoop(SPEC.replace(/, addresses: \[[^\]]*\]/g, ''));
    const blind = firstChoices(withoutAddresses, HYPOTHESES['retry-storm']!.hypothesis);
    expect(blind).toEqual(firstChoices(withoutAddresses, undefined));
    // Low risk is the prior's favourite; the retry policy is no likelier than any other medium-risk action.
    expect(blind['recycle-pool']).toBeGreaterThan(blind['set-retry-policy']!);
  });
});

const opened = (id: string, fingerprint: string, h: Hypothesis): DeciderInput => {
  const data: IncidentOpened = { ...sampleIncidentOpened(), incidentId: id, loop: 'shop', fingerprint, hypothesis: h };
  return { type: 'homeostat.incident.opened.v1', data };
};
/** The learner's count after one outcome, as it publishes it. */
const knowledge = (fingerprint: string, action: string, succeeded: boolean, at: number): DeciderInput => ({
  type: 'homeostat.knowledge.updated.v1',
  data: {
    loop: 'shop',
    fingerprint,
    action,
    tries: 1,
    successes: succeeded ? 1 : 0,
    failures: succeeded ? 0 : 1,
    meanTimeToRecoverMs: succeeded ? 20_000 : null,
    p50TimeToRecoverMs: succeeded ? 20_000 : null,
    lastOutcomeAt: new Date(at).toISOString(),
    posterior: { alpha: succeeded ? 2 : 1, beta: succeeded ? 1 : 2 },
  },
});

function decider(seed = 'seed'): Decider {
  let n = 0;
  return createDecider({ loops: new Map([['shop', shopLoop()]]), newId: () => `dec-${++n}`, seed });
}

describe('decider: the hypothesis before memory, the outcomes after', () => {
  const storm = HYPOTHESES['retry-storm']!.hypothesis;

  it('given a new fingerprint suspected downstream with retries, when it opens, then the retry policy is tried first and the explanation says the hypothesis ranked it', () => {
    const result = deciderSpec(decider())
      .given([])
      .when(at(1_000, opened('inc-1', 'shop/storm', storm)))
      .then([{ attempt: 1, action: { name: 'set-retry-policy' } }]);
    const { explanation } = result.decisions[0]!;
    expect(explanation.chosenBecause).toMatch(
      /ranked first by the hypothesis shop\/downstream \(confidence 0\.99\), before any outcome on this fingerprint: it raised the prior of set-retry-policy \(downstream, retry-policy\), enable-cache \(downstream\)/,
    );
    const candidate = (name: string) => explanation.candidates.find((c) => c.action === name)!;
    expect(candidate('set-retry-policy').reason).toMatch(
      /raised by the hypothesis \(it addresses downstream, retry-policy; fit 1 × confidence 0\.99\)/,
    );
    expect(candidate('recycle-pool').reason).not.toMatch(/hypothesis/);
    expect(candidate('set-retry-policy').posterior!.mean).toBeGreaterThan(candidate('enable-cache').posterior!.mean);
    expect(candidate('enable-cache').posterior!.mean).toBeGreaterThan(candidate('recycle-pool').posterior!.mean);
  });

  it('given the hypothesis was wrong for this fingerprint before (its action failed, another fixed it), when it recurs, then the outcomes rank it, not the hypothesis', () => {
    // The same hypothesis, but on this kind of failure the cache is what worked.
    const past = history(decider(), [
      at(0, knowledge('shop/misread', 'set-retry-policy', false, 0)),
      at(0, knowledge('shop/misread', 'enable-cache', true, 0)),
    ]);
    for (const seed of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      const result = deciderSpec(decider(seed))
        .given(past.events)
        .when(at(1_000, opened(`inc-${seed}`, 'shop/misread', storm)))
        .then([{ action: { name: 'enable-cache' } }]);
      expect(result.decisions[0]!.explanation.chosenBecause).toMatch(
        /raised the prior of set-retry-policy \(downstream, retry-policy\), enable-cache \(downstream\); enable-cache, not its first, sampled higher on its outcomes/,
      );
    }
  });

  it('given the first action the hypothesis chose failed, when deciding again, then the next best fit is the likeliest second try', () => {
    const counts: Record<string, number> = {};
    for (let seed = 0; seed < 400; seed++) {
      const plan = planDecision({
        state: initialPolicyState(),
        loop: shopLoop(),
        incident: { ...fixtureIncident('shop/storm'), hypothesis: storm },
        attempts: [{ decisionId: 'dec-1', action: 'set-retry-policy', status: 'failed' }],
        now: 0,
        rng: createRng(seed),
      });
      counts[plan.action!.name] = (counts[plan.action!.name] ?? 0) + 1;
    }
    expect(counts['set-retry-policy']).toBeUndefined();
    expect(counts['enable-cache']).toBeGreaterThanOrEqual(0.5 * 400);
  });
});
