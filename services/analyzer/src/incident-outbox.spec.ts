import type { IncidentEvent } from '@homeostat/analysis';
import { IncidentOutbox } from './incident-outbox';

function event(type: 'opened' | 'updated' | 'resolved', incidentId: string): IncidentEvent {
  return { type: `homeostat.incident.${type}.v1`, subject: 'shop', data: { incidentId } } as unknown as IncidentEvent;
}

/** What happened, in order: each publish and each checkpoint. */
function recorder(failOn?: string) {
  const log: string[] = [];
  let failures = failOn === undefined ? 0 : 1;
  const outbox = new IncidentOutbox(
    async (e) => {
      const name = `${e.type.split('.')[2]} ${e.data.incidentId}`;
      if (failures > 0 && name === failOn) {
        failures--;
        throw new Error('the broker is away');
      }
      log.push(name);
    },
    async () => {
      log.push('checkpoint');
    },
  );
  return { log, outbox };
}

describe('IncidentOutbox', () => {
  it('checkpoints once a resolution is out, so a restart does not resolve the incident again', async () => {
    const { log, outbox } = recorder();
    outbox.add([event('updated', 'a'), event('resolved', 'a')]);
    await outbox.flush();
    expect(log).toEqual(['updated a', 'resolved a', 'checkpoint']);
  });

  it('checkpoints after an opening, and not after updates alone', async () => {
    const { log, outbox } = recorder();
    outbox.add([event('updated', 'a')]);
    await outbox.flush();
    outbox.add([event('opened', 'b')]);
    await outbox.flush();
    await outbox.flush();
    expect(log).toEqual(['updated a', 'opened b', 'checkpoint']);
  });

  it('keeps what failed to publish, in order, and checkpoints only once all of it is out', async () => {
    const { log, outbox } = recorder('opened b');
    outbox.add([event('resolved', 'a'), event('opened', 'b'), event('updated', 'b')]);
    await expect(outbox.flush()).rejects.toThrow('the broker is away');
    // The state must not get ahead of the bus: b's opening would be lost with it.
    expect(log).toEqual(['resolved a']);
    expect(outbox.size).toBe(2);
    await outbox.flush();
    expect(log).toEqual(['resolved a', 'opened b', 'updated b', 'checkpoint']);
    expect(outbox.size).toBe(0);
  });
});
