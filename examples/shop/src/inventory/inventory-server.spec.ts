import { CollapseState, inBlip, isCollapsed, LoadMeter, STORM } from './inventory-server';

describe('inventory under the retry-storm fault', () => {
  it('collapses only when retries exceed its headroom over the organic load', () => {
    expect(isCollapsed({ firstAttempts: 30, retries: 3 })).toBe(false);
    expect(isCollapsed({ firstAttempts: 30, retries: 15 })).toBe(true);
    expect(isCollapsed({ firstAttempts: STORM.minFirstAttempts - 1, retries: 50 })).toBe(false);
  });

  it('a budget of 10 % stays below the headroom; five immediate retries per blip do not', () => {
    const perSecond = 30;
    const perWindow = perSecond * (STORM.windowMs / 1_000);
    const failedInBlip = perSecond * (STORM.blipMs / 1_000);
    expect(isCollapsed({ firstAttempts: perWindow, retries: 0.1 * perWindow })).toBe(false);
    expect(isCollapsed({ firstAttempts: perWindow, retries: 5 * failedInBlip })).toBe(true);
  });

  it("at the demo's load, one retry for each call a blip fails stays within the headroom even when the blip catches three times its share", () => {
    // 25 requests/s, 60 % of them call the inventory (catalog and stock): 15 calls/s. Measured
    // over 1 s, a blip catching 4 calls instead of 2.25 was over the headroom once its retries
    // came back, and a fixed caller fell back into collapse every half minute or so.
    const perSecond = 15;
    const perWindow = perSecond * (STORM.windowMs / 1_000);
    const expectedInBlip = perSecond * (STORM.blipMs / 1_000);
    expect(isCollapsed({ firstAttempts: perWindow, retries: Math.floor(3 * expectedInBlip) })).toBe(false);
    // Two calls in a blip, each tried five more times at once, collapse it: an aggressive caller starts the storm at once.
    expect(isCollapsed({ firstAttempts: perWindow, retries: 2 * 5 })).toBe(true);
  });

  it('blips at a fixed period from the start of the fault', () => {
    expect(inBlip(1_000, 1_000)).toBe(true);
    expect(inBlip(1_000 + STORM.blipMs, 1_000)).toBe(false);
    expect(inBlip(1_000 + STORM.blipEveryMs + 10, 1_000)).toBe(true);
  });

  it('measures first attempts and retries over a sliding window', () => {
    const meter = new LoadMeter();
    meter.record(0, false);
    meter.record(500, true);
    meter.record(900, false);
    expect(meter.amplification(1_000, 1_000)).toEqual({ firstAttempts: 1, retries: 1 });
    expect(meter.amplification(1_600, 1_000)).toEqual({ firstAttempts: 1, retries: 0 });
  });

  it('stays collapsed through a pause in traffic, and recovers on a window within the headroom', () => {
    const state = new CollapseState();
    expect(state.update({ firstAttempts: 30, retries: 3 })).toBe(false);
    expect(state.update({ firstAttempts: 30, retries: 20 })).toBe(true);
    expect(state.update({ firstAttempts: 0, retries: 0 })).toBe(true);
    expect(state.update({ firstAttempts: 2, retries: 0 })).toBe(true);
    expect(state.update({ firstAttempts: 30, retries: 3 })).toBe(false);
  });
});
