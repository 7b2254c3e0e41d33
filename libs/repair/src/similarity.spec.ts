import { FAILURE_FEATURE_MAX_CHARS, FAILURE_FEATURES_MAX, failureFeaturesSchema } from '@homeostat/contracts';
import { boundedFeatures, mergeSimilar } from './similarity';

describe('boundedFeatures', () => {
  it('keeps features within the contract as they are', () => {
    const features = { 'category:test': 1, 't:cannot find symbol': 1, 'dep:org.apache.mina:mina-core': 2.4 };
    expect(boundedFeatures(features)).toEqual(features);
  });

  it('keeps the strongest features (ties by name) and drops names too long for the bus', () => {
    const features: Record<string, number> = { [`t:${'x'.repeat(FAILURE_FEATURE_MAX_CHARS)}`]: 5, 'dep:strong': 3 };
    for (let i = 0; i < FAILURE_FEATURES_MAX + 10; i++) features[`pkg:p${String(i).padStart(4, '0')}`] = 0.5;
    const bounded = boundedFeatures(features);
    expect(Object.keys(bounded)).toHaveLength(FAILURE_FEATURES_MAX);
    expect(bounded['dep:strong']).toBe(3);
    expect(bounded['pkg:p0000']).toBe(0.5);
    expect(bounded[`pkg:p${FAILURE_FEATURES_MAX + 9}`]).toBeUndefined();
    expect(failureFeaturesSchema.safeParse(bounded).success).toBe(true);
    expect(failureFeaturesSchema.safeParse(features).success).toBe(false);
  });
});

describe('mergeSimilar', () => {
  it("ranks the loop's own and the ledger's together, the ledger's score winning for a failure both found", () => {
    const own = [
      { incidentId: 'a', signature: 'sa', score: 0.9 },
      { incidentId: 'b', signature: 'sb', score: 0.5 },
    ];
    const stored = [
      { incidentId: 'b', signature: 'sb', score: 0.7 },
      { incidentId: 'c', signature: 'sc', score: 0.7 },
      { incidentId: 'd', signature: 'sd', score: 0.1 },
    ];
    expect(mergeSimilar(own, stored, 3)).toEqual([
      { incidentId: 'a', signature: 'sa', score: 0.9 },
      { incidentId: 'b', signature: 'sb', score: 0.7 },
      { incidentId: 'c', signature: 'sc', score: 0.7 },
    ]);
  });
});
