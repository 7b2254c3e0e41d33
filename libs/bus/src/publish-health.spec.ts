import { BusError } from './errors';
import { PublishHealth } from './publish-health';

describe('PublishHealth', () => {
  const setUp = () => {
    const t = { now: Date.parse('2026-03-02T10:00:00.000Z') };
    return { t, health: new PublishHealth({ holdMs: 15_000, now: () => t.now }) };
  };
  const outage = new BusError('PUBLISH_FAILED', 'publishing to telemetry.spans failed: KafkaJSConnectionError', true);

  it('given nothing published yet, or a publish that succeeded, then ready', () => {
    const { health } = setUp();
    expect(health.status()).toEqual({ ok: true, detail: {} });
    health.succeeded();
    expect(health.status()).toEqual({ ok: true, detail: { lastSuccessAt: '2026-03-02T10:00:00.000Z' } });
  });

  it('given publishes refused for unavailability, then not ready with the reason, since when and how many; ready again once one succeeds', () => {
    const { t, health } = setUp();
    health.succeeded();
    t.now += 1_000;
    health.failed(outage);
    t.now += 2_000;
    health.failed(new BusError('BUS_CLOSED', 'the bus is closed', true));
    expect(health.status()).toEqual({
      ok: false,
      detail: {
        reason: 'publishing fails: BUS_CLOSED: the bus is closed',
        failingSince: '2026-03-02T10:00:01.000Z',
        lastFailureAt: '2026-03-02T10:00:03.000Z',
        failures: 2,
        lastSuccessAt: '2026-03-02T10:00:00.000Z',
      },
    });
    t.now += 1_000;
    health.succeeded();
    expect(health.status()).toEqual({ ok: true, detail: { lastSuccessAt: '2026-03-02T10:00:04.000Z' } });
  });

  it('given no new failure for the hold time, then ready again (half-open) but still naming the failure; a new failure renews it', () => {
    const { t, health } = setUp();
    health.failed(outage);
    t.now += 14_999;
    expect(health.status().ok).toBe(false);
    t.now += 1;
    expect(health.status()).toMatchObject({ ok: true, detail: { reason: expect.stringContaining('ready again until the next publish') } });
    health.failed(outage);
    expect(health.status()).toMatchObject({ ok: false, detail: { failingSince: '2026-03-02T10:00:00.000Z', failures: 2 } });
  });

  it('given back-pressure, a message too large or any other error, then still ready: those are about one request, not the bus', () => {
    const { health } = setUp();
    health.failed(new BusError('BACKPRESSURE', 'busy', true));
    health.failed(new BusError('MESSAGE_TOO_LARGE', 'too large', false));
    health.failed(new Error('boom'));
    expect(health.status().ok).toBe(true);
  });
});
