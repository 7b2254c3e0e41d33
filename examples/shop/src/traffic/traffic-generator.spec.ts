import { ITEM_COUNT, pickRequest, TRAFFIC_MIX } from './traffic-generator';

describe('pickRequest', () => {
  it('follows the traffic mix over the business routes', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const path = pickRequest(random).split('?')[0]!;
      counts.set(path, (counts.get(path) ?? 0) + 1);
    }
    for (const { path, weight } of TRAFFIC_MIX) expect((counts.get(path) ?? 0) / 10_000).toBeCloseTo(weight, 1);
  });

  it('asks for items 1..ITEM_COUNT', () => {
    expect(pickRequest(() => 0)).toBe('/checkout?item=1');
    expect(pickRequest(() => 0.999)).toBe(`/stock?item=${ITEM_COUNT}`);
  });
});
