import { percentile, SloWindow } from './slo-window';

describe('SloWindow', () => {
  let now = 0;
  beforeEach(() => {
    now = 100_000;
  });

  function serve(w: SloWindow, ms: number, error = false): void {
    const end = w.begin();
    now += ms;
    end(error);
  }

  it('computes the error rate and the p95 of the requests in the window', () => {
    const w = new SloWindow(10_000, () => now);
    for (let i = 0; i < 95; i++) serve(w, 10);
    for (let i = 0; i < 5; i++) serve(w, 900, true);
    const s = w.snapshot();
    expect(s).toMatchObject({ requests: 100, errors: 5, errorRate: 0.05, inFlight: 0 });
    expect(s.p95Ms).toBe(10);
    serve(w, 900, true);
    expect(w.snapshot().p95Ms).toBe(900);
  });

  it('forgets requests older than the window', () => {
    const w = new SloWindow(10_000, () => now);
    serve(w, 10, true);
    now += 10_001;
    expect(w.snapshot()).toMatchObject({ requests: 0, errors: 0, errorRate: 0, p95Ms: 0 });
  });

  it('counts a request still running with its age so far', () => {
    const w = new SloWindow(10_000, () => now);
    for (let i = 0; i < 9; i++) serve(w, 10);
    const end = w.begin();
    w.begin();
    now += 2_000;
    expect(w.snapshot()).toMatchObject({ requests: 9, inFlight: 2, p95Ms: 2_000 });
    end(false);
    end(true); // a second end is ignored
    expect(w.snapshot()).toMatchObject({ requests: 10, errors: 0, inFlight: 1 });
  });
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(values, 0.95)).toBe(19);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.95)).toBe(0);
  });
});
