import { startUpstream, type RunningUpstream } from './upstream-server';

const running: RunningUpstream[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((u) => u.close()));
});
async function start(options: Parameters<typeof startUpstream>[0]): Promise<RunningUpstream> {
  const u = await startUpstream(options);
  running.push(u);
  return u;
}
const timed = async (url: string, init?: RequestInit) => {
  const started = performance.now();
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started, headers: res.headers };
};

describe('upstream service', () => {
  it('queues beyond its workers, so an overloaded replica gets slower', async () => {
    const u = await start({ name: 'u', port: 0, latencyMs: 50, capacity: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => timed(`${u.url}/items/${i}`)));
    const slowest = Math.max(...results.map((r) => r.ms));
    // Six requests, two at a time, 50 ms each: the last ones wait two turns.
    expect(slowest).toBeGreaterThanOrEqual(140);
    expect(u.stats()).toMatchObject({ requests: 6, reads: 6, inFlight: 0, queued: 0 });
  });

  it('takes faults over HTTP: a slow replica, an error ratio, an error burst; DELETE clears them', async () => {
    const u = await start({ name: 'u', port: 0, latencyMs: 1, capacity: 8, random: () => 0.5 });
    expect((await fetch(`${u.url}/faults`, { method: 'PUT', body: JSON.stringify({ slowMs: 80 }) })).status).toBe(200);
    expect((await timed(`${u.url}/a`)).ms).toBeGreaterThanOrEqual(75);
    await fetch(`${u.url}/faults`, { method: 'PUT', body: JSON.stringify({ slowMs: 0, errorRatio: 0.6 }) });
    expect((await timed(`${u.url}/a`)).status).toBe(503);
    await fetch(`${u.url}/faults`, { method: 'PUT', body: JSON.stringify({ errorRatio: 0, burst: { durationMs: 60_000, ratio: 1 } }) });
    expect((await timed(`${u.url}/a`, { method: 'POST', body: '{}' })).status).toBe(503);
    await fetch(`${u.url}/faults`, { method: 'DELETE' });
    expect((await timed(`${u.url}/a`, { method: 'POST', body: '{}' })).status).toBe(201);
    const bad = await fetch(`${u.url}/faults`, { method: 'PUT', body: JSON.stringify({ errorRatio: 2 }) });
    expect(bad.status).toBe(400);
  });

  it('calls its dependency on every read and fails with 502 when the dependency does', async () => {
    const dependency = await start({ name: 'inventory', port: 0, latencyMs: 1, capacity: 8 });
    const u = await start({ name: 'catalog', port: 0, latencyMs: 1, capacity: 8, dependency: dependency.url });
    expect((await timed(`${u.url}/catalog/1`)).status).toBe(200);
    expect(dependency.stats().byPath).toEqual({ 'GET /lookup/catalog/1': 1 });
    await fetch(`${dependency.url}/faults`, { method: 'PUT', body: JSON.stringify({ slowMs: 60 }) });
    expect((await timed(`${u.url}/catalog/1`)).ms).toBeGreaterThanOrEqual(55);
    await fetch(`${dependency.url}/faults`, { method: 'PUT', body: JSON.stringify({ slowMs: 0, errorRatio: 1 }) });
    expect((await timed(`${u.url}/catalog/1`)).status).toBe(502);
  });

  it('sets Cache-Control and Vary on reads as asked', async () => {
    const u = await start({ name: 'u', port: 0, latencyMs: 0, capacity: 8, maxAgeS: 30 });
    expect((await timed(`${u.url}/a`)).headers.get('cache-control')).toBe('public, max-age=30');
    const custom = await timed(`${u.url}/a?cc=no-store&vary=accept-language`);
    expect([custom.headers.get('cache-control'), custom.headers.get('vary')]).toEqual(['no-store', 'accept-language']);
  });
});
